package io.ferry.agent.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The manager's logic on {@link FakeIpCommands}: plumbing, idempotence, repair, rollback. */
class NetworkManagerTest {

  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-01T10:00:00Z"), ZoneOffset.UTC);
  private static final NetworkConfig CONFIG = NetworkConfig.defaults("host-1");
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
  void ensureBridgeCreatesTheBridgeWithTheGatewayOnceAndOpensForwarding() {
    LinkState bridge = ip.link(NetScope.AGENT, "ferrybr0").orElseThrow();
    assertThat(bridge.isBridge()).isTrue();
    assertThat(bridge.up()).isTrue();
    assertThat(bridge.mtu()).isEqualTo(1500);
    assertThat(bridge.addresses()).extracting(Object::toString).containsExactly("10.100.0.1/16");
    assertThat(bridge.mac().isLocallyAdministered()).isTrue();
    assertThat(firewall.forwarded).containsExactly("ferrybr0");

    int before = ip.mutations().size();
    manager.ensureBridge();
    assertThat(ip.mutations()).hasSize(before);
  }

  @Test
  void ensureBridgeRefusesAnInterfaceOfThatNameThatIsNoBridge() {
    FakeIpCommands other = new FakeIpCommands();
    other.addNamespace("x");
    other.addVethPair("ferrybr0", "eth0", MacAddress.derive("x"), "x", 1500);
    NetworkManager m = new NetworkManager(CONFIG, allocator, other, firewall);
    assertThatThrownBy(m::ensureBridge)
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION))
        .hasMessageContaining("not a bridge");
  }

  @Test
  void attachPlumbsNetnsVethAddressMacAndRoute() {
    NetworkAttachment a = manager.attach("web1");

    assertThat(a.namespace()).isEqualTo("fc-host-1.web1");
    assertThat(a.namespacePath()).isEqualTo(Path.of("/run/netns/fc-host-1.web1"));
    assertThat(a.address()).hasToString("10.100.0.2");
    assertThat(a.prefixLength()).isEqualTo(16);
    assertThat(a.gateway()).hasToString("10.100.0.1");
    assertThat(a.mac()).isEqualTo(MacAddress.derive("web1"));
    assertThat(a.hostInterface()).isEqualTo("fv39ea183a6f").hasSizeLessThanOrEqualTo(15);
    assertThat(a.mtu()).isEqualTo(1500);

    LinkState host = ip.link(NetScope.AGENT, a.hostInterface()).orElseThrow();
    assertThat(host.master()).isEqualTo("ferrybr0");
    assertThat(host.up()).isTrue();
    LinkState eth0 = ip.link(WEB1, "eth0").orElseThrow();
    assertThat(eth0.peerIndex()).isEqualTo(host.index());
    assertThat(eth0.mac()).isEqualTo(a.mac());
    assertThat(eth0.up()).isTrue();
    assertThat(eth0.addresses()).extracting(Object::toString).containsExactly("10.100.0.2/16");
    assertThat(ip.link(WEB1, "lo").orElseThrow().up()).isTrue();
    assertThat(ip.defaultGateway(WEB1)).contains(a.gateway());
    assertThat(manager.attachments()).containsExactly(a);
    assertThat(manager.attachment("web1")).contains(a);
  }

  @Test
  void attachingAnIntactAttachmentAgainChangesNothing() {
    NetworkAttachment first = manager.attach("web1");
    int before = ip.mutations().size();
    assertThat(manager.attach("web1")).isEqualTo(first);
    assertThat(ip.mutations()).hasSize(before);
  }

  @Test
  void aHalfMadeAttachmentIsCompleted_onlyTheNetnsExists() {
    ip.addNamespace("fc-host-1.web1");
    NetworkAttachment a = manager.attach("web1");
    assertThat(ip.link(WEB1, "eth0").orElseThrow().addresses()).extracting(Object::toString).containsExactly("10.100.0.2/16");
    assertThat(ip.defaultGateway(WEB1)).contains(a.gateway());
  }

  @Test
  void aHalfMadeAttachmentIsCompleted_addressRouteAndLinkStateLost() {
    NetworkAttachment a = manager.attach("web1");
    ip.flushAddresses(WEB1, "eth0");
    ip.setMtu(WEB1, "eth0", 9000);
    ip.setMac(WEB1, "eth0", MacAddress.parse("02:00:00:00:00:01"));
    ip.addAddress(WEB1, "eth0", Ipv4Address.parse("10.100.0.77"), 24);

    assertThat(manager.attach("web1")).isEqualTo(a);
    LinkState eth0 = ip.link(WEB1, "eth0").orElseThrow();
    assertThat(eth0.addresses()).extracting(Object::toString).containsExactly("10.100.0.2/16");
    assertThat(eth0.mac()).isEqualTo(a.mac());
    assertThat(eth0.mtu()).isEqualTo(1500);
    assertThat(ip.defaultGateway(WEB1)).contains(a.gateway());
  }

  @Test
  void aHostVethWhosePeerIsElsewhereIsReplaced() {
    NetworkAttachment a = manager.attach("web1");
    ip.deleteNamespace("fc-host-1.web1"); // takes the pair with it
    ip.addNamespace("stray");
    ip.addVethPair(a.hostInterface(), "eth0", a.mac(), "stray", 1500);
    ip.addNamespace("fc-host-1.web1");

    manager.attach("web1");
    LinkState host = ip.link(NetScope.AGENT, a.hostInterface()).orElseThrow();
    assertThat(ip.link(WEB1, "eth0").orElseThrow().peerIndex()).isEqualTo(host.index());
    assertThat(ip.linkNames(NetScope.of("stray"))).containsExactly("lo");
  }

  /** A fresh attach makes this many changes (checked below, so the steps stay in step with the code). */
  private static final int ATTACH_CHANGES = 7;

  static Stream<Integer> steps() {
    return IntStream.rangeClosed(1, ATTACH_CHANGES).boxed();
  }

  @ParameterizedTest(name = "failure at change {0}")
  @MethodSource("steps")
  void aFailureAtAnyStepLeavesNothingBehind(int step) {
    FakeIpCommands reference = new FakeIpCommands();
    NetworkManager clean =
        new NetworkManager(CONFIG, AddressAllocator.open(state.resolve("ref"), CONFIG.subnet(), CLOCK), reference, firewall);
    clean.ensureBridge();
    int bridgeChanges = reference.mutations().size();
    clean.attach("web1");
    assertThat(reference.mutations()).hasSize(bridgeChanges + ATTACH_CHANGES);

    List<String> linksBefore = ip.linkNames(NetScope.AGENT);
    ip.failAtMutation(step);
    assertThatThrownBy(() -> manager.attach("web1"))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INTERNAL))
        .hasMessageContaining("injected failure");

    assertThat(ip.namespaces()).isEmpty();
    assertThat(ip.linkNames(NetScope.AGENT)).isEqualTo(linksBefore);
    assertThat(allocator.leases()).isEmpty();
    assertThat(AddressAllocator.open(state, CONFIG.subnet(), CLOCK).leases()).as("on disk too").isEmpty();

    // And the next try works from scratch.
    assertThat(manager.attach("web1").address()).hasToString("10.100.0.2");
  }

  @Test
  void aFailedAttachWithAGivenAddressLeavesNothingEither() {
    ip.failAtMutation(3);
    assertThatThrownBy(() -> manager.attach("db", Ipv4Address.parse("10.100.0.60"), MacAddress.parse("02:00:00:00:00:60")))
        .isInstanceOf(AgentException.class);
    assertThat(ip.namespaces()).isEmpty();
    assertThat(allocator.leases()).isEmpty();
  }

  @Test
  void attachWithAGivenIdentityKeepsItAndConflictsCreateNothing() {
    manager.attach("web1");
    MacAddress mac = MacAddress.parse("02:00:00:00:00:60");
    NetworkAttachment db = manager.attach("db", Ipv4Address.parse("10.100.0.60"), mac);
    assertThat(db.address()).hasToString("10.100.0.60");
    assertThat(ip.link(NetScope.of("fc-host-1.db"), "eth0").orElseThrow().mac()).isEqualTo(mac);

    int before = ip.mutations().size();
    assertThatThrownBy(() -> manager.attach("cache", Ipv4Address.parse("10.100.0.2"), MacAddress.derive("cache")))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.ALREADY_EXISTS))
        .hasMessageContaining("web1");
    assertThat(ip.mutations()).hasSize(before);
  }

  @Test
  void attachNeedsTheBridge() {
    NetworkManager noBridge =
        new NetworkManager(CONFIG, AddressAllocator.open(state.resolve("b"), CONFIG.subnet(), CLOCK), new FakeIpCommands(), firewall);
    assertThatThrownBy(() -> noBridge.attach("web1"))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION))
        .hasMessageContaining("ferrybr0");
    assertThat(noBridge.allocator().leases()).isEmpty();
  }

  @Test
  void detachRemovesEverythingAndIsIdempotent() {
    NetworkAttachment a = manager.attach("web1");
    manager.attach("web2");

    assertThat(manager.detach("web1")).isTrue();
    assertThat(ip.namespaces()).containsExactly("fc-host-1.web2");
    assertThat(ip.link(NetScope.AGENT, a.hostInterface())).isEmpty();
    assertThat(allocator.lease("web1")).isEmpty();
    assertThat(manager.attachment("web1")).isEmpty();
    assertThat(ip.forgottenNeighbours()).as("the next holder of the address has another MAC")
        .containsExactly("ferrybr0 " + a.address());

    assertThat(manager.detach("web1")).isFalse();
    assertThat(ip.forgottenNeighbours()).hasSize(1);
    assertThat(manager.detach("never-attached")).isFalse();
    assertThatThrownBy(() -> manager.detach("../x"))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT));
  }

  @Test
  void detachReleasesTheAddressEvenWhenTheNeighbourEntryCannotBeDropped() {
    manager.attach("web1");
    ip.deleteLink(NetScope.AGENT, "ferrybr0");

    assertThat(manager.detach("web1")).isTrue();
    assertThat(ip.forgottenNeighbours()).isEmpty();
    assertThat(allocator.leases()).isEmpty();
  }

  @Test
  void detachOfAPartialAttachmentRemovesWhatIsThere() {
    manager.attach("web1");
    ip.deleteNamespace("fc-host-1.web1");
    assertThat(manager.detach("web1")).isTrue();
    assertThat(allocator.leases()).isEmpty();
  }

  @Test
  void attachmentsListLeasesWhoseNetnsExists() {
    NetworkAttachment web1 = manager.attach("web1");
    manager.attach("web2");
    ip.deleteNamespace("fc-host-1.web2");
    assertThat(manager.attachments()).containsExactly(web1);
    assertThat(allocator.leases()).hasSize(2);
  }

  @Test
  void reconcileRemovesOnlyThisAgentsUnleasedLeftovers() {
    NetworkAttachment kept = manager.attach("web1");
    ip.addNamespace("fc-host-1.leaked");
    ip.addVethPair(new NamingScheme("fc-host-1.").hostInterface("leaked"), "eth0", MacAddress.derive("l"), "fc-host-1.leaked", 1500);
    ip.addNamespace("fc-host-10.web1"); // another agent's, with a prefix that extends ours textually
    ip.addNamespace("fc-host-1.NotAContainer");
    ip.addNamespace("unrelated");
    ip.addNamespace("orphan-peers");
    ip.addVethPair("fv0123456789", "eth0", MacAddress.derive("o"), "orphan-peers", 1500);
    ip.attachToBridge("fv0123456789", "ferrybr0");
    ip.addVethPair("fvabcdefabcd", "eth1", MacAddress.derive("p"), "orphan-peers", 1500); // not on our bridge

    ReconcileReport report = manager.reconcile();

    assertThat(report.removedNamespaces()).containsExactly("fc-host-1.leaked");
    assertThat(report.removedInterfaces())
        .containsExactlyInAnyOrder(new NamingScheme("fc-host-1.").hostInterface("leaked"), "fv0123456789");
    assertThat(report.failures()).isEmpty();
    assertThat(ip.namespaces())
        .containsExactlyInAnyOrder("fc-host-1.web1", "fc-host-10.web1", "fc-host-1.NotAContainer", "unrelated", "orphan-peers");
    assertThat(ip.linkNames(NetScope.AGENT)).contains(kept.hostInterface(), "fvabcdefabcd");
    assertThat(manager.reconcile().removedNothing()).isTrue();
  }

  @Test
  void twoAgentsOnOneMachineNameTheirNamespacesApart() {
    NamingScheme one = new NamingScheme(NetworkConfig.defaultNamespacePrefix("host-1"));
    NamingScheme two = new NamingScheme(NetworkConfig.defaultNamespacePrefix("host-2"));
    assertThat(one.namespace("web1")).isEqualTo("fc-host-1.web1").isNotEqualTo(two.namespace("web1"));
    assertThat(one.hostInterface("web1")).isNotEqualTo(two.hostInterface("web1"));
    assertThat(one.containerOf(two.namespace("web1"))).isEmpty();
    assertThat(new NamingScheme("fc-host.").containerOf("fc-host-1.web1")).isEmpty();
    assertThat(one.containerOf("fc-host-1.web1")).contains("web1");
    assertThat(NamingScheme.looksLikeHostVeth(one.hostInterface("web1"))).isTrue();
    assertThat(NamingScheme.looksLikeHostVeth("fvX123456789")).isFalse();
  }
}
