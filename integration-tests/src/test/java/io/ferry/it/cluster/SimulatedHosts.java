package io.ferry.it.cluster;

import io.ferry.common.process.Command;
import io.ferry.common.process.CommandResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The machine's side of a test cluster's hosts: each simulated host is a network namespace
 * ({@code fit<K>-h<N>}) joined by a veth ({@code fu<K>h<N>} in the root namespace, {@code eth0}
 * inside) to an underlay bridge {@code fu<K>} in the root namespace. Addresses come from a fixed
 * test range, never probed: the underlay is {@code 10.237.<K>.0/24}, the bridge (the root
 * namespace, where ZooKeeper, the coordinators and the test itself run) is {@code .1}, host {@code
 * N} is {@code .(10+N)}. {@code K} is the cluster's index, different for each test class, so the
 * classes' leftovers never meet.
 *
 * <p>Everything is removed by {@link #close()}, which goes on past failures and is safe to call
 * twice; leftovers of an earlier run with the same index (a killed JVM) are removed first.
 *
 * <p>Commands enter a host only with {@code nsenter --net} (never {@code ip netns exec}, which
 * remounts {@code /sys} and hides the cgroups runc needs). Not thread-safe.
 */
final class SimulatedHosts implements AutoCloseable {

  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  private final int index;
  private final Map<String, Integer> hosts = new LinkedHashMap<>();
  private boolean up;

  /** @param index the cluster's index, 1..254: its underlay is {@code 10.237.<index>.0/24} */
  SimulatedHosts(int index) {
    if (index < 1 || index > 254) {
      throw new IllegalArgumentException("index " + index + " is not in 1..254");
    }
    this.index = index;
  }

  String bridge() {
    return "fu" + index;
  }

  /** The root namespace's address on the underlay: where hosts reach ZooKeeper. */
  String gateway() {
    return "10.237." + index + ".1";
  }

  String namespace(String host) {
    return "fit" + index + "-h" + number(host);
  }

  /** The host's underlay address: its agent's API and its VXLAN endpoint. */
  String address(String host) {
    return "10.237." + index + "." + (10 + number(host));
  }

  /** argv that runs a command inside the host's network namespace only. */
  List<String> enter(String host) {
    return List.of("nsenter", "--net=/run/netns/" + namespace(host));
  }

  /** Creates the underlay bridge (once) and lets bridged frames through the root FORWARD chain. */
  SimulatedHosts start() {
    removeLeftovers();
    run("ip", "link", "add", bridge(), "type", "bridge");
    run("ip", "addr", "add", gateway() + "/24", "dev", bridge());
    run("ip", "link", "set", bridge(), "up");
    // With dockerd running, FORWARD's policy is DROP and br_netfilter sends bridged frames
    // (the hosts' VXLAN packets to each other) through it.
    run("iptables", "-w", "-I", "FORWARD", "-i", bridge(), "-o", bridge(), "-j", "ACCEPT");
    up = true;
    return this;
  }

  /** Makes host {@code host-N}'s namespace, with its underlay address and a route to everything via the bridge. */
  void add(String host, int number) {
    hosts.put(host, number);
    String ns = namespace(host);
    String veth = "fu" + index + "h" + number;
    run("ip", "netns", "add", ns);
    run("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns);
    run("ip", "link", "set", veth, "master", bridge(), "up");
    run("ip", "-n", ns, "addr", "add", address(host) + "/24", "dev", "eth0");
    run("ip", "-n", ns, "link", "set", "lo", "up");
    run("ip", "-n", ns, "link", "set", "eth0", "up");
  }

  /** The flood list of the host's overlay device: where it sends broadcasts, as {@code bridge fdb} shows. */
  List<String> floodPeers(String host) {
    List<String> peers = new ArrayList<>();
    CommandResult r = inHost(host, "bridge", "fdb", "show", "dev", "ferryvx0");
    Matcher m = Pattern.compile("(?m)^00:00:00:00:00:00 dst (\\S+)").matcher(r.stdout());
    while (m.find()) {
      peers.add(m.group(1));
    }
    return peers;
  }

  /** The underlay address the host's overlay sends {@code mac} to, if it has learned one. */
  String remoteOf(String host, String mac) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(mac) + " dst (\\S+)").matcher(inHost(host, "bridge", "fdb", "show", "dev", "ferryvx0").stdout());
    return m.find() ? m.group(1) : "";
  }

  CommandResult inHost(String host, String... command) {
    List<String> argv = new ArrayList<>(enter(host));
    argv.addAll(List.of(command));
    return Command.of(argv).timeout(TIMEOUT).run();
  }

  /** What a reader of a failed test needs: each host's links, addresses, overlay and its forwarding entries. */
  String dump() {
    StringBuilder out = new StringBuilder("---- simulated hosts (underlay " + bridge() + " " + gateway() + "/24) ----\n");
    for (String host : hosts.keySet()) {
      out.append(host).append(" (").append(namespace(host)).append(", ").append(address(host)).append("):\n");
      for (List<String> command : List.of(
          List.of("ip", "-br", "addr"),
          List.of("ip", "-d", "link", "show", "ferryvx0"),
          List.of("bridge", "fdb", "show", "dev", "ferryvx0"))) {
        try {
          CommandResult r = inHost(host, command.toArray(String[]::new));
          out.append("  $ ").append(String.join(" ", command)).append('\n').append(indent(r.output()));
        } catch (RuntimeException e) {
          out.append("  (").append(e.getMessage()).append(")\n");
        }
      }
    }
    return out.toString();
  }

  /** Removes every host namespace, veth, the bridge and the FORWARD rule; goes on past failures. */
  @Override
  public void close() {
    for (String host : new ArrayList<>(hosts.keySet())) {
      quietly("ip", "netns", "del", namespace(host));
      quietly("ip", "link", "del", "fu" + index + "h" + hosts.get(host));
    }
    hosts.clear();
    if (up) {
      removeBridge();
      up = false;
    }
  }

  private void removeLeftovers() {
    for (int n = 1; n <= 9; n++) {
      quietly("ip", "netns", "del", "fit" + index + "-h" + n);
      quietly("ip", "link", "del", "fu" + index + "h" + n);
    }
    removeBridge();
  }

  private void removeBridge() {
    for (int i = 0; i < 10; i++) {
      if (!Command.of("iptables", "-w", "-D", "FORWARD", "-i", bridge(), "-o", bridge(), "-j", "ACCEPT").timeout(TIMEOUT).run().succeeded()) {
        break;
      }
    }
    quietly("ip", "link", "del", bridge());
  }

  private static int number(String host) {
    Matcher m = Pattern.compile("host-(\\d)").matcher(host);
    if (!m.matches()) {
      throw new IllegalArgumentException("simulated hosts are named host-1 .. host-9, not " + host);
    }
    return Integer.parseInt(m.group(1));
  }

  private static void run(String... argv) {
    CommandResult r = Command.of(argv).timeout(TIMEOUT).run();
    if (!r.succeeded()) {
      throw new IllegalStateException("'" + String.join(" ", argv) + "' exited " + r.exitCode() + ": " + r.output());
    }
  }

  private static void quietly(String... argv) {
    try {
      Command.of(argv).timeout(TIMEOUT).run();
    } catch (RuntimeException e) {
      // Best effort: cleaning up.
    }
  }

  private static String indent(String text) {
    return text.lines().map(l -> "    " + l + "\n").reduce("", String::concat);
  }
}
