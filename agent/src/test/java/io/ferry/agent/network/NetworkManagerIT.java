package io.ferry.agent.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.agent.AgentException;
import io.ferry.common.process.Command;
import io.ferry.common.process.CommandException;
import io.ferry.common.process.CommandResult;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The manager against the real kernel, as root. Each test host is a network namespace of its own
 * ({@code ferry-nt-<id>-N}) and the manager's commands run inside it through an {@code nsenter}
 * prefix, as the quickstart runs its agents: bridge, host veths and iptables rules live in that
 * namespace, never in the machine's own. Container namespaces are in {@code /run/netns}, named
 * with a per-run prefix; {@link #cleanUp()} removes every namespace of the run, even after a
 * failure. Addresses come from a fixed test range, 10.199.X.0/24, and stay inside the test
 * namespaces. Fails (never skips) when not run as root.
 */
class NetworkManagerIT {

  private static final Logger log = LoggerFactory.getLogger(NetworkManagerIT.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final SecureRandom RANDOM = new SecureRandom();
  /** The discard port: nothing listens on it in the test namespaces. */
  private static final int CLOSED_PORT = 9;

  @TempDir Path state;

  private String id;
  private String bridge;
  private Ipv4Subnet subnet;

  /** One simulated host: its netns, and a manager whose commands run inside it. */
  private record TestHost(String hostName, String hostNamespace, NetworkManager manager, FaultInjectingIpCommands ip) {}

  @BeforeEach
  void setUp() {
    assertThat(run("id", "-u").stdout().strip()).as("NetworkManagerIT must run as root").isEqualTo("0");
    byte[] random = new byte[4];
    RANDOM.nextBytes(random);
    id = HexFormat.of().formatHex(random, 0, 3);
    bridge = "fbr-" + id;
    subnet = Ipv4Subnet.parse("10.199." + (random[3] & 0xff) + ".0/24");
  }

  @AfterEach
  void cleanUp() {
    // Container namespaces of this run first, then the test hosts (bridges, veths and iptables
    // rules go with them).
    List<String> mine = new ArrayList<>();
    for (String ns : run("ip", "netns", "list").stdout().split("\n")) {
      String name = ns.strip().split(" ")[0];
      if (name.startsWith("fc-nt" + id) || name.startsWith("ferry-nt-" + id)) {
        mine.add(name);
      }
    }
    mine.sort((a, b) -> Boolean.compare(a.startsWith("ferry-nt-"), b.startsWith("ferry-nt-")));
    for (String ns : mine) {
      CommandResult r = Command.of("ip", "netns", "delete", ns).timeout(TIMEOUT).run();
      if (!r.succeeded()) {
        log.warn("cleanup: cannot delete netns {}: {}", ns, r.output());
      }
    }
    assertThat(run("ip", "netns", "list").stdout()).doesNotContain(id);
  }

  @Test
  void twoContainersReachEachOtherAndTheGateway() {
    TestHost h = host(1);
    NetworkAttachment a = h.manager().attach("web1");
    NetworkAttachment b = h.manager().attach("web2");

    assertThat(a.namespace()).isEqualTo("fc-nt" + id + "-host-1.web1");
    assertThat(a.address()).isEqualTo(subnet.network().plus(2));
    assertThat(b.address()).isEqualTo(subnet.network().plus(3));
    ping(a, b.address());
    ping(b, a.address());
    ping(a, subnet.gateway());

    // What the container sees: its MAC, address, default route.
    String link = run("ip", "-n", a.namespace(), "-br", "link", "show", "dev", "eth0").stdout();
    assertThat(link).contains(a.mac().toString()).contains("UP");
    assertThat(run("ip", "-n", a.namespace(), "-br", "-4", "addr", "show", "dev", "eth0").stdout())
        .contains(a.address() + "/24");
    assertThat(run("ip", "-n", a.namespace(), "route", "show", "default").stdout())
        .contains("default via " + subnet.gateway() + " dev eth0");

    // The host side lives in the test host's netns, not in the machine's own.
    String ports = inHost(h, "ip", "-br", "link", "show", "master", bridge).stdout();
    assertThat(ports).contains(a.hostInterface()).contains(b.hostInterface());
    assertThat(Command.of("ip", "link", "show", "dev", bridge).timeout(TIMEOUT).run().succeeded()).isFalse();
    assertThat(Command.of("ip", "link", "show", "dev", a.hostInterface()).timeout(TIMEOUT).run().succeeded()).isFalse();
    assertThat(inHost(h, "iptables", "-w", "-C", "FORWARD", "-i", bridge, "-o", bridge, "-j", "ACCEPT").succeeded()).isTrue();
    assertThat(run("ip", "-n", h.hostNamespace(), "-4", "addr", "show", "dev", bridge).stdout())
        .contains(subnet.gateway() + "/24");

    // Host setup again (agent restart): nothing doubles.
    h.manager().ensureBridge();
    String rules = inHost(h, "iptables", "-w", "-S", "FORWARD").stdout();
    assertThat(rules.lines().filter(l -> l.equals("-A FORWARD -i " + bridge + " -o " + bridge + " -j ACCEPT"))).hasSize(1);
    assertThat(run("ip", "-n", h.hostNamespace(), "-4", "-o", "addr", "show", "dev", bridge).stdout().lines()).hasSize(1);
  }

  @Test
  void underADropForwardPolicyTheBridgeRuleLetsContainersTalk() {
    // As dockerd leaves the machine's own namespace: FORWARD policy DROP. Here in the test host only.
    String hostNs = "ferry-nt-" + id + "-1";
    run("ip", "netns", "add", hostNs);
    run("nsenter", "--net=/run/netns/" + hostNs, "iptables", "-w", "-P", "FORWARD", "DROP");
    TestHost withoutRule = host(1, false);
    NetworkAttachment a = withoutRule.manager().attach("web1");
    NetworkAttachment b = withoutRule.manager().attach("web2");
    boolean brNetfilter =
        run("nsenter", "--net=/run/netns/" + hostNs, "cat", "/proc/sys/net/bridge/bridge-nf-call-iptables")
            .stdout().strip().equals("1");
    if (brNetfilter) {
      assertThat(answers(a, b.address())).as("br_netfilter is active: DROP must block bridged frames").isFalse();
    } else {
      log.warn("br_netfilter is not loaded here: bridged frames skip iptables; only the positive case is checked");
    }

    TestHost withRule = host(1, true); // the agent as configured by default: iptables enabled
    assertThat(withRule.manager().attachments()).containsExactly(a, b);
    ping(a, b.address());
    ping(b, a.address());
    ping(a, subnet.gateway());
  }

  @Test
  void detachRemovesNetnsVethAndLease() {
    TestHost h = host(1);
    NetworkAttachment a = h.manager().attach("web1");

    assertThat(h.manager().detach("web1")).isTrue();
    assertThat(namespaces()).doesNotContain(a.namespace());
    assertThat(inHost(h, "ip", "link", "show", "dev", a.hostInterface()).succeeded()).isFalse();
    assertThat(h.manager().allocator().leases()).isEmpty();
    assertThat(h.manager().detach("web1")).isFalse();
  }

  @Test
  void aNewContainerOnAReleasedAddressAnswersTheHostAtOnce() {
    TestHost h = host(1);
    NetworkAttachment kept = h.manager().attach("web1"); // keeps the bridge up, as on a busy host
    NetworkAttachment gone = h.manager().attach("web2");
    assertThat(hostAnswers(h, gone.address())).as("the host reaches web2").isTrue();
    h.manager().detach("web2");

    NetworkAttachment next = h.manager().attach("web3");
    assertThat(next.address()).as("the lowest free address: web2's").isEqualTo(gone.address());
    assertThat(next.mac()).isNotEqualTo(gone.mac());
    // Without dropping web2's neighbour entry, the host would send to web2's MAC for 15-45 s more.
    assertThat(hostAnswers(h, next.address())).as("the host reaches web3 on web2's old address").isTrue();
    ping(kept, next.address());
  }

  @Test
  void aHalfMadeAttachmentIsRepairedAndARestartedAgentFindsItsAttachments() {
    TestHost h = host(1);
    // A crash right after "ip netns add": only the netns exists.
    String ns3 = "fc-nt" + id + "-host-1.web3";
    run("ip", "netns", "add", ns3);
    NetworkAttachment web3 = h.manager().attach("web3");
    assertThat(web3.namespace()).isEqualTo(ns3);
    ping(web3, subnet.gateway());

    // A crash after the veth pair was made: no address, down, not on the bridge.
    String ns4 = "fc-nt" + id + "-host-1.web4";
    String veth4 = new NamingScheme("fc-nt" + id + "-host-1.").hostInterface("web4");
    run("ip", "netns", "add", ns4);
    inHost(h, "ip", "link", "add", veth4, "type", "veth", "peer", "name", "eth0", "netns", ns4);
    NetworkAttachment web4 = h.manager().attach("web4");
    ping(web4, web3.address());

    // The agent restarts: a new manager over the same state finds both, and attach changes nothing.
    String ifindexBefore = run("ip", "-n", ns4, "-o", "link", "show", "dev", "eth0").stdout().split(":")[0];
    TestHost restarted = host(1);
    assertThat(restarted.manager().attachments()).containsExactly(web3, web4);
    int changes = restarted.ip().changes();
    assertThat(restarted.manager().attach("web4")).isEqualTo(web4);
    assertThat(restarted.ip().changes()).as("an intact attachment is left alone").isEqualTo(changes);
    assertThat(run("ip", "-n", ns4, "-o", "link", "show", "dev", "eth0").stdout()).startsWith(ifindexBefore + ":");
  }

  @Test
  void aFailureAtAnyStepOfARealAttachLeavesNothing() {
    TestHost h = host(1);
    int before = h.ip().changes();
    h.manager().attach("probe");
    int steps = h.ip().changes() - before;
    h.manager().detach("probe");
    assertThat(steps).isGreaterThanOrEqualTo(7);

    for (int step = 1; step <= steps; step++) {
      h.ip().failAtChange(step);
      assertThatThrownBy(() -> h.manager().attach("web1")).isInstanceOf(AgentException.class).hasMessageContaining("injected");
      h.ip().failAtChange(0);
      assertThat(namespaces()).as("step %d", step).noneMatch(n -> n.startsWith("fc-nt" + id));
      assertThat(inHost(h, "ip", "-br", "link", "show", "master", bridge).stdout()).as("step %d", step).isBlank();
      assertThat(inHost(h, "ip", "-br", "link", "show", "type", "veth").stdout()).as("step %d", step).isBlank();
      assertThat(h.manager().allocator().leases()).as("step %d", step).isEmpty();
    }
    ping(h.manager().attach("web1"), subnet.gateway());
  }

  @Test
  void reconcileRemovesLeakedNamespacesOfThisAgentOnly() {
    TestHost h1 = host(1);
    TestHost h2 = host(2);
    NetworkAttachment kept = h1.manager().attach("web1");
    NetworkAttachment other = h2.manager().attach("web1");
    String leaked = "fc-nt" + id + "-host-1.leaked";
    run("ip", "netns", "add", leaked);

    ReconcileReport report = h1.manager().reconcile();

    assertThat(report.removedNamespaces()).containsExactly(leaked);
    assertThat(report.failures()).isEmpty();
    assertThat(namespaces()).contains(kept.namespace(), other.namespace()).doesNotContain(leaked);
    ping(kept, subnet.gateway());
    ping(other, subnet.gateway());
  }

  @Test
  void twoAgentsOnOneMachineDoNotCollide() {
    TestHost h1 = host(1);
    TestHost h2 = host(2);
    NetworkAttachment one = h1.manager().attach("web1");
    NetworkAttachment two = h2.manager().attach("web1");

    assertThat(one.namespace()).isNotEqualTo(two.namespace());
    assertThat(one.hostInterface()).isNotEqualTo(two.hostInterface());
    // Same bridge name, same subnet, same address: each in its own host namespace.
    assertThat(one.address()).isEqualTo(two.address());
    ping(one, subnet.gateway());
    ping(two, subnet.gateway());
    assertThat(inHost(h1, "ip", "-br", "link", "show", "master", bridge).stdout())
        .contains(one.hostInterface())
        .doesNotContain(two.hostInterface());

    h1.manager().detach("web1");
    assertThat(namespaces()).doesNotContain(one.namespace()).contains(two.namespace());
    ping(two, subnet.gateway());
  }

  @Test
  void attachAndDetachTimings() {
    TestHost h = host(1);
    h.manager().attach("warmup");
    h.manager().detach("warmup");
    int runs = 20;
    long[] attach = new long[runs];
    long[] reattach = new long[runs];
    long[] detach = new long[runs];
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      NetworkAttachment a = h.manager().attach("t" + i);
      long t1 = System.nanoTime();
      h.manager().attach("t" + i);
      long t2 = System.nanoTime();
      h.manager().detach("t" + i);
      long t3 = System.nanoTime();
      attach[i] = t1 - t0;
      reattach[i] = t2 - t1;
      detach[i] = t3 - t2;
      assertThat(namespaces()).doesNotContain(a.namespace());
    }
    log.info(
        "{} runs in a host netns (nsenter prefix): attach p50 {} ms p95 {} ms; attach of an intact one p50 {} ms;"
            + " detach p50 {} ms p95 {} ms",
        runs, ms(percentile(attach, 50)), ms(percentile(attach, 95)), ms(percentile(reattach, 50)),
        ms(percentile(detach, 50)), ms(percentile(detach, 95)));
    assertThat(percentile(attach, 50)).as("attach p50 (ns)").isLessThan(Duration.ofSeconds(2).toNanos());
    assertThat(h.manager().allocator().leases()).isEmpty();
  }

  private TestHost host(int n) {
    return host(n, true);
  }

  private TestHost host(int n, boolean iptables) {
    String hostName = "nt" + id + "-host-" + n;
    String hostNs = "ferry-nt-" + id + "-" + n;
    if (!namespaces().contains(hostNs)) {
      run("ip", "netns", "add", hostNs);
      run("ip", "-n", hostNs, "link", "set", "lo", "up");
    }
    NetworkConfig config =
        new NetworkConfig(bridge, subnet, 1500, NetworkConfig.defaultNamespacePrefix(hostName), iptables, TIMEOUT);
    List<String> prefix = IpRoute2Commands.nsenterPrefix(hostNs);
    FaultInjectingIpCommands ip = new FaultInjectingIpCommands(new IpRoute2Commands(prefix, TIMEOUT));
    NetworkManager manager =
        new NetworkManager(
            config,
            AddressAllocator.open(state.resolve(hostName), subnet, Clock.systemUTC()),
            ip,
            new IptablesFirewall(prefix, TIMEOUT));
    manager.ensureBridge();
    return new TestHost(hostName, hostNs, manager, ip);
  }

  /**
   * Proves that {@code to} answers {@code from} over IP: a TCP connection from inside the
   * container's netns to a closed port must be refused, which takes the SYN reaching {@code to} and
   * its RST coming back. ("No route", "unreachable" or a timeout mean no path.) Uses bash's {@code
   * /dev/tcp}, so the test needs no ping or netcat on the machine.
   */
  private void ping(NetworkAttachment from, Ipv4Address to) {
    assertThat(answers(from, to)).as("%s answers %s (%s)", to, from.container(), from.address()).isTrue();
  }

  /** Whether a TCP SYN from the container to a closed port of {@code to} is refused within 2 s. */
  private static boolean answers(NetworkAttachment from, Ipv4Address to) {
    return answers(from.namespace(), from.container(), to);
  }

  /** As {@link #answers(NetworkAttachment, Ipv4Address)}, from the test host's own namespace. */
  private static boolean hostAnswers(TestHost from, Ipv4Address to) {
    return answers(from.hostNamespace(), from.hostName(), to);
  }

  private static boolean answers(String namespace, String who, Ipv4Address to) {
    String probe = "exec 3<>/dev/tcp/" + to + "/" + CLOSED_PORT;
    try {
      CommandResult r =
          Command.of("ip", "netns", "exec", namespace, "bash", "-c", probe).timeout(Duration.ofSeconds(2)).run();
      log.info("probe of {} from {}: {}", to, who, r.stderr().strip());
      return r.stderr().contains("Connection refused");
    } catch (CommandException e) {
      if (e.timedOut()) {
        log.info("probe of {} from {}: no answer in 2 s", to, who);
        return false;
      }
      throw e;
    }
  }

  private static List<String> namespaces() {
    return Arrays.stream(run("ip", "netns", "list").stdout().split("\n"))
        .map(l -> l.strip().split(" ")[0])
        .filter(s -> !s.isEmpty())
        .toList();
  }

  private static CommandResult inHost(TestHost h, String... argv) {
    List<String> full = new ArrayList<>(IpRoute2Commands.nsenterPrefix(h.hostNamespace()));
    full.addAll(List.of(argv));
    return Command.of(full).timeout(TIMEOUT).run();
  }

  private static CommandResult run(String... argv) {
    return Command.of(argv).timeout(TIMEOUT).check();
  }

  private static long percentile(long[] values, int p) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
  }

  private static String ms(long nanos) {
    return String.format("%.1f", nanos / 1e6);
  }
}
