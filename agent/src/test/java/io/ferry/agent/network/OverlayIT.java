package io.ferry.agent.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.common.config.Settings;
import io.ferry.common.process.Command;
import io.ferry.common.process.CommandResult;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The overlay against the real kernel, as root: two test hosts (network namespaces {@code
 * ferry-ov-<id>-a} and {@code -b}, joined directly by a veth as their underlay, addresses from the
 * fixed test range 10.198.X.0/24), each with a manager whose commands run inside it. Real VXLAN,
 * {@code bridge fdb}, {@code ebtables}, BusyBox {@code arping}. Container namespaces carry a
 * per-run prefix; {@link #cleanUp()} removes everything of the run even after a failure.
 */
class OverlayIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Ipv4Subnet SUBNET = Ipv4Subnet.parse("10.100.0.0/16");

  @TempDir Path state;

  private String id;
  private int octet;

  private record TestHost(String name, String namespace, Ipv4Address underlay, NetworkManager manager) {}

  @BeforeEach
  void setUp() {
    assertThat(run("id", "-u").stdout().strip()).as("OverlayIT must run as root").isEqualTo("0");
    byte[] random = new byte[4];
    RANDOM.nextBytes(random);
    id = HexFormat.of().formatHex(random, 0, 3);
    octet = random[3] & 0xff;
  }

  @AfterEach
  void cleanUp() {
    List<String> mine = new ArrayList<>();
    for (String line : run("ip", "netns", "list").stdout().split("\n")) {
      String name = line.strip().split(" ")[0];
      if (name.startsWith("fc-ov" + id) || name.startsWith("ferry-ov-" + id)) {
        mine.add(name);
      }
    }
    // Containers' namespaces first, then the hosts' (their bridges, VXLAN and veths go with them).
    mine.sort((a, b) -> Boolean.compare(a.startsWith("ferry-ov-"), b.startsWith("ferry-ov-")));
    for (String ns : mine) {
      Command.of("ip", "netns", "delete", ns).timeout(TIMEOUT).run();
    }
    assertThat(run("ip", "netns", "list").stdout()).doesNotContain(id);
  }

  @Test
  void containersOnTwoHostsReachEachOtherAndAMovedOneIsFoundWhereItAnnouncesItself() {
    TestHost a = host("a", 1);
    TestHost b = host("b", 2);
    run("ip", "-n", a.namespace(), "link", "add", "ul0", "type", "veth", "peer", "name", "ul0", "netns", b.namespace());
    for (TestHost h : List.of(a, b)) {
      run("ip", "-n", h.namespace(), "addr", "add", h.underlay() + "/24", "dev", "ul0");
      run("ip", "-n", h.namespace(), "link", "set", "ul0", "up");
      h.manager().ensureBridge();
    }
    assertThat(a.manager().syncOverlayPeers(List.of(b.underlay(), a.underlay())).peers()).containsExactly(b.underlay());
    b.manager().syncOverlayPeers(List.of(a.underlay()));
    assertThat(floodPeers(a)).containsExactly(b.underlay().toString());
    assertThat(inHost(a, "ebtables", "-L", "FORWARD").stdout()).contains("--arp-ip-dst 10.100.0.1 -j DROP");

    MacAddress webMac = MacAddress.parse("0a:58:0a:64:00:07");
    NetworkAttachment client = a.manager().attach("client", Ipv4Address.parse("10.100.0.6"), MacAddress.parse("0a:58:0a:64:00:06"));
    NetworkAttachment web = b.manager().attach("web", Ipv4Address.parse("10.100.0.7"), webMac);
    assertThat(client.mtu()).isEqualTo(1450);
    assertThat(pings(client, web.address())).as("a -> b over VXLAN").isTrue();
    assertThat(remoteOf(a, webMac)).isEqualTo(b.underlay().toString());

    // Link down: cut off, address kept; up again: reachable.
    b.manager().setHostLinkUp("web", false);
    assertThat(pings(client, web.address())).as("unreachable with its host link down").isFalse();
    b.manager().setHostLinkUp("web", true);
    await().atMost(Duration.ofSeconds(10)).until(() -> pings(client, web.address()));

    // Forget where web is on host a, then have web announce itself: host a learns it at once.
    inHost(a, "bridge", "fdb", "del", webMac.toString(), "dev", "ferryvx0", "dst", b.underlay().toString());
    assertThat(remoteOf(a, webMac)).isEmpty();
    b.manager().announce("web");
    await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20)).untilAsserted(() ->
        assertThat(remoteOf(a, webMac)).isEqualTo(b.underlay().toString()));

    // Moved to host a with the same identity, as a migration does: attached cut off while the
    // source still runs (nothing of it reaches host a's bridge), then let in and announced.
    a.manager().attachIsolated("web", web.address(), webMac);
    assertThat(pings(client, web.address())).as("still answered by the copy on b").isTrue();
    assertThat(remoteOf(a, webMac)).as("host a still sends web's frames to b").isEqualTo(b.underlay().toString());
    b.manager().setHostLinkUp("web", false);
    b.manager().detach("web");
    a.manager().setHostLinkUp("web", true);
    a.manager().announce("web");
    assertThat(pings(client, web.address())).as("a -> web, now on a and announced").isTrue();

    // A host that leaves is dropped from the flood list.
    assertThat(a.manager().syncOverlayPeers(List.of()).removed()).containsExactly(b.underlay());
    assertThat(floodPeers(a)).isEmpty();
  }

  private TestHost host(String letter, int n) {
    String hostName = "ov" + id + "-host-" + letter;
    String ns = "ferry-ov-" + id + "-" + letter;
    run("ip", "netns", "add", ns);
    run("ip", "-n", ns, "link", "set", "lo", "up");
    Ipv4Address underlay = Ipv4Address.parse("10.198." + octet + "." + (10 + n));
    NetworkConfig config =
        NetworkConfig.load(
            Settings.of("test", Map.of("network.overlay.enabled", "true", "network.netns-prefix", "fc-" + hostName + ".")),
            hostName,
            Optional.of(underlay.toString()));
    List<String> prefix = IpRoute2Commands.nsenterPrefix(ns);
    NetworkManager manager =
        new NetworkManager(
            config,
            AddressAllocator.open(state.resolve(hostName), SUBNET, Clock.systemUTC()),
            new IpRoute2Commands(prefix, TIMEOUT, config.busybox()),
            new IptablesFirewall(prefix, TIMEOUT));
    return new TestHost(hostName, ns, underlay, manager);
  }

  /** One ping from inside the container's netns, BusyBox's, with a one-second wait. */
  private static boolean pings(NetworkAttachment from, Ipv4Address to) {
    CommandResult r =
        Command.of("nsenter", "--net=" + from.namespacePath(), "busybox", "ping", "-c", "1", "-W", "1", to.toString())
            .timeout(TIMEOUT)
            .run();
    return r.succeeded();
  }

  private static List<String> floodPeers(TestHost h) {
    List<String> peers = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^00:00:00:00:00:00 dst (\\S+)").matcher(inHost(h, "bridge", "fdb", "show", "dev", "ferryvx0").stdout());
    while (m.find()) {
      peers.add(m.group(1));
    }
    return peers;
  }

  private static String remoteOf(TestHost h, MacAddress mac) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(mac.toString()) + " dst (\\S+)").matcher(inHost(h, "bridge", "fdb", "show", "dev", "ferryvx0").stdout());
    return m.find() ? m.group(1) : "";
  }

  private static CommandResult inHost(TestHost h, String... argv) {
    List<String> full = new ArrayList<>(IpRoute2Commands.nsenterPrefix(h.namespace()));
    full.addAll(List.of(argv));
    return Command.of(full).timeout(TIMEOUT).run();
  }

  private static CommandResult run(String... argv) {
    return Command.of(argv).timeout(TIMEOUT).check();
  }
}
