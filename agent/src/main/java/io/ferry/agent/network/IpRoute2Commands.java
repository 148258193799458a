package io.ferry.agent.network;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import io.ferry.common.process.Command;
import io.ferry.common.process.CommandException;
import io.ferry.common.process.CommandResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@link IpCommands} by running iproute2's {@code ip} (JSON output, {@code -j}), each run bounded by
 * a timeout, its stderr carried into the error.
 *
 * <p>An optional command prefix runs every command somewhere else: the quickstart and the
 * integration tests start the agent in a "host" network namespace, and {@code nsenter
 * --net=/run/netns/<host>} as prefix makes these commands act there, as if the agent ran inside
 * it. Only the network namespace is entered, never the mount namespace ({@code ip netns exec}
 * would remount {@code /sys}), so {@code /run/netns} stays the machine's. Production uses no
 * prefix. Commands into a container's namespace use {@code ip -n <netns>}. Thread-safe.
 */
public final class IpRoute2Commands implements IpCommands {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String ZERO_MAC = "00:00:00:00:00:00";

  private final List<String> prefix;
  private final Duration timeout;
  private final Path busybox;

  /**
   * @param commandPrefix argv put before {@code ip} (empty in production)
   * @param timeout the longest one {@code ip} run may take
   */
  public IpRoute2Commands(List<String> commandPrefix, Duration timeout) {
    this(commandPrefix, timeout, NetworkConfig.DEFAULT_BUSYBOX);
  }

  /**
   * @param commandPrefix argv put before {@code ip} (empty in production)
   * @param timeout the longest one command may take
   * @param busybox the BusyBox binary whose {@code arping} sends announcements
   */
  public IpRoute2Commands(List<String> commandPrefix, Duration timeout, Path busybox) {
    this.prefix = List.copyOf(commandPrefix);
    this.timeout = timeout;
    this.busybox = busybox;
  }

  /** Commands that run inside the network namespace {@code /run/netns/<hostNamespace>}. */
  public static List<String> nsenterPrefix(String hostNamespace) {
    return List.of("nsenter", "--net=" + NamingScheme.NETNS_DIR.resolve(hostNamespace));
  }

  /**
   * Lists {@code /run/netns} directly, as {@code ip netns list} does, without starting a process:
   * every attach and detach asks. The command prefix enters only the network namespace, so the
   * directory is the same one {@code ip} would read.
   */
  @Override
  public List<String> namespaces() {
    try (Stream<Path> entries = Files.list(NamingScheme.NETNS_DIR)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw AgentException.internal("cannot list " + NamingScheme.NETNS_DIR + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void addNamespace(String name) {
    check(NetScope.AGENT, "netns", "add", name);
  }

  @Override
  public void deleteNamespace(String name) {
    check(NetScope.AGENT, "netns", "delete", name);
  }

  @Override
  public List<LinkState> links(NetScope scope) {
    List<LinkState> links = new ArrayList<>();
    for (JsonNode link : json(check(scope, "-j", "-d", "addr", "show"))) {
      links.add(parseLink(link));
    }
    return links;
  }

  @Override
  public Optional<LinkState> link(NetScope scope, String name) {
    CommandResult result = run(scope, "-j", "-d", "addr", "show", "dev", name);
    if (!result.succeeded() && result.stderr().contains("does not exist")) {
      return Optional.empty();
    }
    requireSuccess(result);
    JsonNode links = json(result);
    return links.isEmpty() ? Optional.empty() : Optional.of(parseLink(links.get(0)));
  }

  @Override
  public void addBridge(String name, int mtu, MacAddress mac) {
    check(NetScope.AGENT, "link", "add", "name", name, "mtu", str(mtu), "address", mac.toString(), "type", "bridge");
  }

  @Override
  public void addVethPair(String hostName, String peerName, MacAddress peerMac, String peerNamespace, int mtu) {
    check(
        NetScope.AGENT,
        "link", "add", "name", hostName, "mtu", str(mtu), "type", "veth",
        "peer", "name", peerName, "address", peerMac.toString(), "mtu", str(mtu), "netns", peerNamespace);
  }

  @Override
  public void deleteLink(NetScope scope, String name) {
    check(scope, "link", "delete", "dev", name);
  }

  @Override
  public void attachToBridge(String name, String bridge) {
    check(NetScope.AGENT, "link", "set", "dev", name, "master", bridge, "up");
  }

  @Override
  public void setUp(NetScope scope, String name) {
    check(scope, "link", "set", "dev", name, "up");
  }

  @Override
  public void setDown(NetScope scope, String name) {
    check(scope, "link", "set", "dev", name, "down");
  }

  @Override
  public Optional<String> bridgePortState(String name) {
    CommandResult result = run(NetScope.AGENT, "-j", "-d", "link", "show", "dev", name);
    if (!result.succeeded() && result.stderr().contains("does not exist")) {
      return Optional.empty();
    }
    requireSuccess(result);
    JsonNode links = json(result);
    return links.isEmpty() ? Optional.empty() : parsePortState(links.get(0));
  }

  /** The {@code info_slave_data.state} of a bridge port in {@code ip -j -d link show}. */
  static Optional<String> parsePortState(JsonNode link) {
    JsonNode info = link.path("linkinfo");
    if (!info.path("info_slave_kind").asText("").equals("bridge")) {
      return Optional.empty();
    }
    String state = info.path("info_slave_data").path("state").asText("");
    return state.isEmpty() ? Optional.empty() : Optional.of(state);
  }

  @Override
  public Optional<VxlanLink> vxlan(String name) {
    CommandResult result = run(NetScope.AGENT, "-j", "-d", "link", "show", "dev", name);
    if (!result.succeeded() && result.stderr().contains("does not exist")) {
      return Optional.empty();
    }
    requireSuccess(result);
    JsonNode links = json(result);
    return links.isEmpty() ? Optional.empty() : parseVxlan(links.get(0));
  }

  @Override
  public void addVxlan(String name, int vni, Ipv4Address local, int port, int mtu) {
    check(
        NetScope.AGENT,
        "link", "add", "name", name, "mtu", str(mtu), "type", "vxlan", "id", str(vni), "local", local.toString(),
        "dstport", str(port));
  }

  @Override
  public List<Ipv4Address> floodPeers(String device) {
    CommandResult result = tool(NetScope.AGENT, List.of("bridge", "-j", "fdb", "show", "dev", device));
    requireSuccess(result);
    return parseFloodPeers(json(result));
  }

  @Override
  public void addFloodPeer(String device, Ipv4Address peer) {
    requireSuccess(tool(NetScope.AGENT, List.of("bridge", "fdb", "append", ZERO_MAC, "dev", device, "dst", peer.toString())));
  }

  @Override
  public void removeFloodPeer(String device, Ipv4Address peer) {
    CommandResult result = tool(NetScope.AGENT, List.of("bridge", "fdb", "del", ZERO_MAC, "dev", device, "dst", peer.toString()));
    if (!result.succeeded() && !result.stderr().contains("No such file or directory")) {
      requireSuccess(result);
    }
  }

  @Override
  public void forgetNeighbour(String device, Ipv4Address address) {
    check(NetScope.AGENT, "neigh", "flush", "to", address.toString(), "dev", device);
  }

  @Override
  public void setSysctl(NetScope scope, String key, String value) {
    requireSuccess(tool(scope, List.of("sysctl", "-q", "-w", key + "=" + value)));
  }

  @Override
  public void announce(NetScope scope, String name, Ipv4Address address) {
    requireSuccess(
        tool(scope, List.of(busybox.toString(), "arping", "-U", "-c", "1", "-w", "1", "-I", name, address.toString())));
  }

  /** Reads a VXLAN link from {@code ip -j -d link show}; empty when it is another kind. */
  static Optional<VxlanLink> parseVxlan(JsonNode link) {
    JsonNode info = link.path("linkinfo");
    if (!info.path("info_kind").asText("").equals("vxlan")) {
      return Optional.empty();
    }
    JsonNode data = info.path("info_data");
    boolean up = false;
    for (JsonNode flag : link.path("flags")) {
      up |= flag.asText().equals("UP");
    }
    String local = data.path("local").asText("");
    return Optional.of(
        new VxlanLink(
            link.path("ifname").asText(),
            data.path("id").asInt(),
            local.isEmpty() ? Optional.empty() : Optional.of(Ipv4Address.parse(local)),
            data.path("port").asInt(),
            link.path("mtu").asInt(),
            up,
            link.path("master").asText("")));
  }

  /** The destinations of the all-zero-MAC entries in {@code bridge -j fdb show}, in order, once each. */
  static List<Ipv4Address> parseFloodPeers(JsonNode entries) {
    List<Ipv4Address> peers = new ArrayList<>();
    for (JsonNode entry : entries) {
      if (entry.path("mac").asText().equals(ZERO_MAC) && entry.hasNonNull("dst")) {
        String dst = entry.get("dst").asText();
        if (dst.indexOf(':') < 0) { // IPv4 only: Ferry's overlay has no IPv6 underlay
          Ipv4Address peer = Ipv4Address.parse(dst);
          if (!peers.contains(peer)) {
            peers.add(peer);
          }
        }
      }
    }
    return peers;
  }

  /**
   * Runs a tool other than {@code ip}: in the agent's namespace behind the command prefix, in a
   * named namespace through {@code nsenter --net} (network namespace only, never {@code ip netns
   * exec}, which remounts {@code /sys}).
   */
  private CommandResult tool(NetScope scope, List<String> command) {
    List<String> argv = new ArrayList<>();
    if (scope.isAgent()) {
      argv.addAll(prefix);
    } else {
      argv.addAll(nsenterPrefix(scope.namespace()));
    }
    argv.addAll(command);
    try {
      return Command.of(argv).timeout(timeout).run();
    } catch (CommandException e) {
      throw new AgentException(
          e.timedOut() ? Kind.TIMEOUT : Kind.INTERNAL, "'" + String.join(" ", argv) + "': " + e.getMessage(), e);
    }
  }

  @Override
  public void setMtu(NetScope scope, String name, int mtu) {
    check(scope, "link", "set", "dev", name, "mtu", str(mtu));
  }

  @Override
  public void setMac(NetScope scope, String name, MacAddress mac) {
    check(scope, "link", "set", "dev", name, "address", mac.toString());
  }

  @Override
  public void flushAddresses(NetScope scope, String name) {
    check(scope, "-4", "addr", "flush", "dev", name);
  }

  @Override
  public void addAddress(NetScope scope, String name, Ipv4Address address, int prefixLength) {
    check(scope, "addr", "add", address + "/" + prefixLength, "brd", "+", "dev", name);
  }

  @Override
  public Optional<Ipv4Address> defaultGateway(NetScope scope) {
    for (JsonNode route : json(check(scope, "-j", "-4", "route", "show", "default"))) {
      if (route.hasNonNull("gateway")) {
        return Optional.of(Ipv4Address.parse(route.get("gateway").asText()));
      }
    }
    return Optional.empty();
  }

  @Override
  public void replaceDefaultRoute(NetScope scope, Ipv4Address gateway) {
    check(scope, "-4", "route", "replace", "default", "via", gateway.toString());
  }

  static LinkState parseLink(JsonNode link) {
    List<LinkState.InterfaceAddress> addresses = new ArrayList<>();
    for (JsonNode a : link.path("addr_info")) {
      if (a.path("family").asText().equals("inet")) {
        addresses.add(new LinkState.InterfaceAddress(Ipv4Address.parse(a.path("local").asText()), a.path("prefixlen").asInt()));
      }
    }
    boolean up = false;
    for (JsonNode flag : link.path("flags")) {
      up |= flag.asText().equals("UP");
    }
    String mac = link.path("address").asText("00:00:00:00:00:00");
    return new LinkState(
        link.path("ifname").asText(),
        link.path("ifindex").asInt(),
        link.path("linkinfo").path("info_kind").asText(""),
        mac.length() == 17 ? MacAddress.parse(mac) : new MacAddress(0),
        link.path("mtu").asInt(),
        up,
        link.path("master").asText(""),
        link.has("link_index") ? link.get("link_index").asInt() : -1,
        addresses);
  }

  @Override
  public void enslave(String name, String bridge) {
    check(NetScope.AGENT, "link", "set", "dev", name, "master", bridge);
  }

  /** One {@code ip -batch} run instead of three processes. */
  @Override
  public void addNamespaceWithPair(
      String namespace, String hostName, String peerName, MacAddress peerMac, int mtu, String bridge, boolean hostUp) {
    String batch =
        String.join(
            "\n",
            "netns add " + namespace,
            "link add name " + hostName + " mtu " + mtu + " type veth peer name " + peerName
                + " address " + peerMac + " mtu " + mtu + " netns " + namespace,
            "link set dev " + hostName + " master " + bridge + (hostUp ? " up" : ""),
            "");
    requireSuccess(runWithInput(NetScope.AGENT, batch, "-batch", "-"));
  }

  /** One {@code ip -batch} run inside the namespace instead of four processes. */
  @Override
  public void configureFreshInterface(
      NetScope scope, String name, Ipv4Address address, int prefixLength, Ipv4Address gateway) {
    String batch =
        String.join(
            "\n",
            "addr add " + address + "/" + prefixLength + " brd + dev " + name,
            "link set dev " + name + " up",
            "link set dev " + NamingScheme.LOOPBACK + " up",
            "route replace default via " + gateway,
            "");
    requireSuccess(runWithInput(scope, batch, "-batch", "-"));
  }

  /** Runs {@code ip [-n NS] ARGS} with {@code input} (null: none) on stdin. */
  private CommandResult runWithInput(NetScope scope, String input, String... args) {
    List<String> argv = new ArrayList<>(prefix);
    argv.add("ip");
    if (!scope.isAgent()) {
      argv.add("-n");
      argv.add(scope.namespace());
    }
    argv.addAll(List.of(args));
    try {
      Command command = Command.of(argv).timeout(timeout);
      return (input == null ? command : command.input(input.getBytes(StandardCharsets.UTF_8))).run();
    } catch (CommandException e) {
      throw new AgentException(
          e.timedOut() ? Kind.TIMEOUT : Kind.INTERNAL, "'" + String.join(" ", argv) + "': " + e.getMessage(), e);
    }
  }

  private CommandResult check(NetScope scope, String... args) {
    CommandResult result = run(scope, args);
    requireSuccess(result);
    return result;
  }

  private CommandResult run(NetScope scope, String... args) {
    return runWithInput(scope, null, args);
  }

  private static void requireSuccess(CommandResult result) {
    if (!result.succeeded()) {
      throw AgentException.internal(
          "'" + String.join(" ", result.argv()) + "' exited " + result.exitCode() + ": " + result.output(), null);
    }
  }

  private static JsonNode json(CommandResult result) {
    String out = result.stdout().strip();
    if (out.isEmpty()) {
      return JSON.createArrayNode();
    }
    try {
      return JSON.readTree(out);
    } catch (IOException e) {
      throw AgentException.internal(
          "'" + String.join(" ", result.argv()) + "' printed no JSON: " + e.getMessage(), e);
    }
  }

  private static String str(int n) {
    return Integer.toString(n);
  }
}
