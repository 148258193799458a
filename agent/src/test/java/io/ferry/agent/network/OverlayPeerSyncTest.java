package io.ferry.agent.network;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.common.cluster.HostNetwork;
import io.ferry.common.cluster.HostRegistration;
import io.ferry.common.config.Settings;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Peers chosen from the membership and the flood list kept equal to them, on {@link FakeIpCommands}. */
class OverlayPeerSyncTest {

  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-01T10:00:00Z"), ZoneOffset.UTC);
  private static final String SUBNET = "10.100.0.0/16";
  private static final NetworkConfig CONFIG =
      NetworkConfig.load(Settings.of("test", Map.of("network.overlay.enabled", "true")), "host-1", Optional.of("10.77.0.11"));

  @TempDir Path state;

  private FakeIpCommands ip;
  private OverlayPeerSync sync;

  @BeforeEach
  void setUp() {
    ip = new FakeIpCommands();
    NetworkManager manager = new NetworkManager(CONFIG, AddressAllocator.open(state, CONFIG.subnet(), CLOCK), ip, new FakeFirewall());
    manager.ensureBridge();
    sync = new OverlayPeerSync(manager, "host-1", Duration.ofHours(1));
  }

  @AfterEach
  void tearDown() {
    sync.close();
  }

  private static HostRegistration host(String name, String subnet, String overlay) {
    HostRegistration r = new HostRegistration(name, name + ":7701", 1000, 1L << 30, 0, Map.of(), "dev");
    return subnet == null ? r : r.withNetwork(new HostNetwork(subnet, overlay));
  }

  private List<String> flood() {
    return ip.floodPeers("ferryvx0").stream().map(Object::toString).toList();
  }

  @Test
  void aHostThatJoinsIsAddedAndOneThatLeavesIsRemoved() {
    HostRegistration self = host("host-1", SUBNET, "10.77.0.11");
    HostRegistration h2 = host("host-2", SUBNET, "10.77.0.12");
    HostRegistration h3 = host("host-3", SUBNET, "10.77.0.13");

    sync.applyNow(List.of(self, h2));
    assertThat(flood()).containsExactly("10.77.0.12");

    PeerChanges joined = sync.applyNow(List.of(self, h2, h3));
    assertThat(joined.added()).extracting(Object::toString).containsExactly("10.77.0.13");
    assertThat(flood()).containsExactly("10.77.0.12", "10.77.0.13");

    PeerChanges left = sync.applyNow(List.of(self, h3));
    assertThat(left.removed()).extracting(Object::toString).containsExactly("10.77.0.12");
    assertThat(flood()).containsExactly("10.77.0.13");

    int before = ip.mutations().size();
    assertThat(sync.applyNow(List.of(h3, self)).unchanged()).isTrue();
    assertThat(ip.mutations()).as("idempotent").hasSize(before);
  }

  @Test
  void theFirstMembershipReconcilesWhatAnEarlierRunLeft() {
    ip.addFloodEntryByHand("ferryvx0", Ipv4Address.parse("10.77.0.50"));
    ip.addFloodEntryByHand("ferryvx0", Ipv4Address.parse("10.77.0.12"));
    PeerChanges changes = sync.applyNow(List.of(host("host-1", SUBNET, "10.77.0.11"), host("host-2", SUBNET, "10.77.0.12")));
    assertThat(changes.added()).isEmpty();
    assertThat(changes.removed()).extracting(Object::toString).containsExactly("10.77.0.50");
    assertThat(flood()).containsExactly("10.77.0.12");
  }

  @Test
  void onlyHostsOfTheSameSubnetWithAnOverlayArePeers() {
    OverlayPeerSync.Selection s =
        OverlayPeerSync.select(
            "host-1",
            Ipv4Subnet.parse(SUBNET),
            Ipv4Address.parse("10.77.0.11"),
            List.of(
                host("host-5", SUBNET, "10.77.0.15"),
                host("host-1", SUBNET, "10.77.0.11"),
                host("host-2", "10.234.1.0/24", "10.77.0.12"),
                host("host-3", SUBNET, ""),
                host("host-4", null, null),
                host("host-6", SUBNET, "10.77.0.11"),
                host("host-7", SUBNET, "10.77.0.15")));
    assertThat(s.peers()).extracting(Object::toString).containsExactly("10.77.0.15");
    assertThat(s.skipped())
        .containsExactly(
            "host-2: network 10.234.1.0/24 is not this host's 10.100.0.0/16",
            "host-3: runs no overlay",
            "host-4: registers no network",
            "host-6: registers this host's own underlay address 10.77.0.11");
  }

  @Test
  void membershipChangesAreAppliedInTheBackground() {
    sync.membershipChanged(List.of(host("host-1", SUBNET, "10.77.0.11"), host("host-2", SUBNET, "10.77.0.12")));
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(flood()).containsExactly("10.77.0.12"));
  }
}
