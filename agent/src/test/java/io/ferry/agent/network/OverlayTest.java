package io.ferry.agent.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import io.ferry.common.config.Settings;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The overlay's host side on {@link FakeIpCommands}: VXLAN device, flood list, announcements, link state. */
class OverlayTest {

  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-01T10:00:00Z"), ZoneOffset.UTC);
  private static final Ipv4Address LOCAL = Ipv4Address.parse("10.77.0.11");
  private static final NetworkConfig CONFIG =
      NetworkConfig.load(Settings.of("test", Map.of("network.overlay.enabled", "true")), "host-1", Optional.of(LOCAL.toString()));
  private static final NetScope WEB1 = NetScope.of("fc-host-1.web1");

  @TempDir Path state;

  private FakeIpCommands ip;
  private FakeFirewall firewall;
  private AddressAllocator allocator;
  private NetworkManager manager;

  @BeforeEach
  void setUp() {
    ip = new FakeIpCommands();
    firewall = new FakeFirewall();
    allocator = AddressAllocator.open(state, CONFIG.subnet(), CLOCK);
    manager = new NetworkManager(CONFIG, allocator, ip, firewall);
    manager.ensureBridge();
  }

  @Test
  void ensureBridgePutsAVxlanDeviceOnTheBridgeOnce() {
    VxlanLink vx = ip.vxlan("ferryvx0").orElseThrow();
    assertThat(vx.vni()).isEqualTo(7700);
    assertThat(vx.port()).isEqualTo(4789);
    assertThat(vx.local()).contains(LOCAL);
    assertThat(vx.mtu()).isEqualTo(1450);
    assertThat(vx.master()).isEqualTo("ferrybr0");
    assertThat(vx.up()).isTrue();
    assertThat(ip.link(NetScope.AGENT, "ferrybr0").orElseThrow().mtu()).isEqualTo(1450);
    assertThat(ip.sysctls()).containsEntry(": net.ipv6.conf.ferrybr0.disable_ipv6", "1");
    MacAddress gatewayMac = ip.link(NetScope.AGENT, "ferrybr0").orElseThrow().mac();
    assertThat(firewall.isolated).as("the anycast gateway stays off the overlay").containsExactly("ferryvx0 10.100.0.1 " + gatewayMac);

    int before = ip.mutations().size();
    manager.ensureBridge();
    assertThat(ip.mutations().subList(before, ip.mutations().size()))
        .as("only the idempotent IPv6 setting is written again")
        .allMatch(m -> m.startsWith("sysctl"));
  }

  @Test
  void aVxlanDeviceWithOtherParametersIsReplaced() {
    ip.deleteLink(NetScope.AGENT, "ferryvx0");
    ip.addVxlan("ferryvx0", 99, Ipv4Address.parse("10.77.0.99"), 8472, 1450);
    manager.ensureBridge();
    VxlanLink vx = ip.vxlan("ferryvx0").orElseThrow();
    assertThat(vx.vni()).isEqualTo(7700);
    assertThat(vx.local()).contains(LOCAL);
    assertThat(vx.port()).isEqualTo(4789);
    assertThat(vx.master()).isEqualTo("ferrybr0");
  }

  @Test
  void anInterfaceOfTheDevicesNameThatIsNoVxlanIsRefused() {
    FakeIpCommands other = new FakeIpCommands();
    other.addBridge("ferryvx0", 1500, MacAddress.derive("x"));
    NetworkManager m = new NetworkManager(CONFIG, allocator, other, new FakeFirewall());
    assertThatThrownBy(m::ensureBridge)
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION))
        .hasMessageContaining("not a VXLAN device");
  }

  @Test
  void switchingTheOverlayOffRemovesTheDeviceFromTheBridge() {
    NetworkConfig off =
        new NetworkConfig(CONFIG.bridgeName(), CONFIG.subnet(), 1450, CONFIG.namespacePrefix(), true, CONFIG.commandTimeout());
    new NetworkManager(off, allocator, ip, new FakeFirewall()).ensureBridge();
    assertThat(ip.link(NetScope.AGENT, "ferryvx0")).isEmpty();
  }

  @Test
  void theFloodListFollowsThePeersGivenIdempotentlyAndWithoutThisHost() {
    Ipv4Address h2 = Ipv4Address.parse("10.77.0.12");
    Ipv4Address h3 = Ipv4Address.parse("10.77.0.13");
    PeerChanges first = manager.syncOverlayPeers(List.of(h2, h3, LOCAL));
    assertThat(first.added()).containsExactly(h2, h3);
    assertThat(ip.floodPeers("ferryvx0")).containsExactly(h2, h3);

    int before = ip.mutations().size();
    assertThat(manager.syncOverlayPeers(List.of(h3, h2)).unchanged()).isTrue();
    assertThat(ip.mutations()).hasSize(before);

    PeerChanges leave = manager.syncOverlayPeers(List.of(h3));
    assertThat(leave.removed()).containsExactly(h2);
    assertThat(ip.floodPeers("ferryvx0")).containsExactly(h3);
  }

  @Test
  void entriesNobodyAccountsForGoAtTheFirstSync() {
    Ipv4Address stale = Ipv4Address.parse("10.77.0.99");
    ip.addFloodEntryByHand("ferryvx0", stale);
    PeerChanges changes = manager.syncOverlayPeers(List.of(Ipv4Address.parse("10.77.0.12")));
    assertThat(changes.removed()).containsExactly(stale);
    assertThat(ip.floodPeers("ferryvx0")).containsExactly(Ipv4Address.parse("10.77.0.12"));
  }

  @Test
  void oneFailingEntryDoesNotKeepTheOthersOut() {
    Ipv4Address h2 = Ipv4Address.parse("10.77.0.12");
    Ipv4Address h3 = Ipv4Address.parse("10.77.0.13");
    ip.failAtMutation(1);
    assertThatThrownBy(() -> manager.syncOverlayPeers(List.of(h2, h3))).isInstanceOf(AgentException.class);
    assertThat(ip.floodPeers("ferryvx0")).containsExactly(h3);
    assertThat(manager.syncOverlayPeers(List.of(h2, h3)).added()).containsExactly(h2);
  }

  @Test
  void peersNeedTheOverlay() {
    NetworkConfig off = NetworkConfig.defaults("host-1");
    NetworkManager m = new NetworkManager(off, AddressAllocator.open(state.resolve("off"), off.subnet(), CLOCK), new FakeIpCommands(), new FakeFirewall());
    m.ensureBridge();
    assertThatThrownBy(() -> m.syncOverlayPeers(List.of(Ipv4Address.parse("10.77.0.12"))))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION))
        .hasMessageContaining("overlay is off");
  }

  @Test
  void attachDoesNotAnnounceButANewContainerIsAnnounced() {
    manager.attach("web1");
    assertThat(ip.announcements()).as("a migration's target attaches before it restores").isEmpty();
    manager.announceNew("web1");
    assertThat(ip.announcements()).containsExactly("fc-host-1.web1 eth0 10.100.0.2");
    manager.announceNew("not-attached"); // logged, not thrown
    assertThat(ip.announcements()).hasSize(1);
  }

  @Test
  void aContainerWhoseHostLinkIsDownCannotAnnounce() {
    manager.attach("web1");
    manager.setHostLinkUp("web1", false);
    assertThatThrownBy(() -> manager.announce("web1"))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION))
        .hasMessageContaining("is down");
    manager.setHostLinkUp("web1", true);
    manager.announce("web1");
    assertThat(ip.announcements()).hasSize(1);
  }

  @Test
  void announceSendsAGratuitousArpFromTheContainer() {
    NetworkAttachment a = manager.attach("web1");
    manager.announce("web1");
    assertThat(ip.announcements()).containsExactly("fc-host-1.web1 eth0 " + a.address());
    assertThatThrownBy(() -> manager.announce("nope"))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION));
  }

  @Test
  void theHostLinkGoesDownAndUpAgain() {
    NetworkAttachment a = manager.attach("web1");
    manager.setHostLinkUp("web1", false);
    assertThat(ip.link(NetScope.AGENT, a.hostInterface()).orElseThrow().up()).isFalse();
    assertThat(ip.link(WEB1, "eth0").orElseThrow().addresses()).as("the container keeps its address").isNotEmpty();
    manager.setHostLinkUp("web1", false);
    assertThat(ip.link(NetScope.AGENT, a.hostInterface()).orElseThrow().up()).isFalse();

    manager.setHostLinkUp("web1", true);
    LinkState host = ip.link(NetScope.AGENT, a.hostInterface()).orElseThrow();
    assertThat(host.up()).isTrue();
    assertThat(host.master()).isEqualTo("ferrybr0");
    assertThatThrownBy(() -> manager.setHostLinkUp("nope", true))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION));
  }

  @Test
  void aContainerMovingInKeepsItsIdentityAndAnnouncesIt() {
    MacAddress mac = MacAddress.parse("0a:58:0a:64:00:07");
    NetworkAttachment a = manager.attach("web1", Ipv4Address.parse("10.100.0.7"), mac);
    assertThat(a.address()).hasToString("10.100.0.7");
    assertThat(ip.link(WEB1, "eth0").orElseThrow().mac()).isEqualTo(mac);
    assertThat(ip.announcements()).isEmpty();
  }

  @Test
  void anIsolatedAttachPlumbsEverythingButLeavesTheHostLinkDown() {
    MacAddress mac = MacAddress.parse("0a:58:0a:64:00:07");
    NetworkAttachment a = manager.attachIsolated("web1", Ipv4Address.parse("10.100.0.7"), mac);
    LinkState host = ip.link(NetScope.AGENT, a.hostInterface()).orElseThrow();
    assertThat(host.master()).isEqualTo("ferrybr0");
    assertThat(host.up()).as("cut off until the restore is done").isFalse();
    LinkState eth0 = ip.link(WEB1, "eth0").orElseThrow();
    assertThat(eth0.addresses()).extracting(Object::toString).containsExactly("10.100.0.7/16");
    assertThat(eth0.mac()).isEqualTo(mac);
    assertThat(ip.defaultGateway(WEB1)).contains(CONFIG.gateway());

    int before = ip.mutations().size();
    manager.attachIsolated("web1", Ipv4Address.parse("10.100.0.7"), mac);
    assertThat(ip.mutations()).as("idempotent").hasSize(before);

    manager.setHostLinkUp("web1", true);
    manager.announce("web1");
    assertThat(ip.announcements()).containsExactly("fc-host-1.web1 eth0 10.100.0.7");

    manager.attachIsolated("web1", Ipv4Address.parse("10.100.0.7"), mac);
    assertThat(ip.link(NetScope.AGENT, a.hostInterface()).orElseThrow().up()).as("an isolated attach of a live one downs it").isFalse();
    manager.attach("web1", Ipv4Address.parse("10.100.0.7"), mac);
    assertThat(ip.link(NetScope.AGENT, a.hostInterface()).orElseThrow().up()).as("a plain attach brings it up").isTrue();
  }

  /** A fresh attach with the overlay on makes as many changes as without. */
  private static final int ATTACH_CHANGES = 7;

  static Stream<Integer> steps() {
    return IntStream.rangeClosed(1, ATTACH_CHANGES).boxed();
  }

  @ParameterizedTest(name = "failure at change {0}")
  @MethodSource("steps")
  void aFailureAtAnyStepLeavesNothingBehind(int step) {
    FakeIpCommands reference = new FakeIpCommands();
    NetworkManager clean =
        new NetworkManager(CONFIG, AddressAllocator.open(state.resolve("ref"), CONFIG.subnet(), CLOCK), reference, new FakeFirewall());
    clean.ensureBridge();
    int bridgeChanges = reference.mutations().size();
    clean.attach("web1");
    assertThat(reference.mutations()).hasSize(bridgeChanges + ATTACH_CHANGES);

    List<String> linksBefore = ip.linkNames(NetScope.AGENT);
    ip.failAtMutation(step);
    assertThatThrownBy(() -> manager.attach("web1")).isInstanceOf(AgentException.class);
    assertThat(ip.namespaces()).isEmpty();
    assertThat(ip.linkNames(NetScope.AGENT)).isEqualTo(linksBefore);
    assertThat(allocator.leases()).isEmpty();
    assertThat(manager.attach("web1").address()).hasToString("10.100.0.2");
  }

}
