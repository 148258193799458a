package io.ferry.agent.network;

import io.ferry.agent.AgentException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * An in-memory kernel for {@link IpCommands}: namespaces, links (veth pairs that die together,
 * bridges), addresses and default routes, with the kernel's refusals that matter (names taken,
 * missing namespace or device, a gateway not on any up link's subnet). Counts mutating calls and
 * can fail the n-th one, to test rollback at every step. Not thread-safe, except that the flood-list
 * calls are synchronized (a background peer sync may use them while a test reads).
 */
public final class FakeIpCommands implements IpCommands {

  private static final String AGENT = "";

  private static final class Link {
    final String name;
    final int index;
    final String kind;
    MacAddress mac;
    int mtu;
    boolean up;
    String master = "";
    String peerScope;
    String peerName;
    final List<LinkState.InterfaceAddress> addresses = new ArrayList<>();
    // VXLAN only
    int vni;
    Ipv4Address local;
    int port;
    final List<Ipv4Address> flood = new ArrayList<>();

    Link(String name, int index, String kind, MacAddress mac, int mtu) {
      this.name = name;
      this.index = index;
      this.kind = kind;
      this.mac = mac;
      this.mtu = mtu;
    }
  }

  private final TreeSet<String> namespaces = new TreeSet<>();
  private final Map<String, Map<String, Link>> links = new LinkedHashMap<>();
  private final Map<String, Ipv4Address> routes = new LinkedHashMap<>();
  private final List<String> mutations = new ArrayList<>();
  private final Map<String, String> sysctls = new LinkedHashMap<>();
  private final List<String> announcements = new ArrayList<>();
  private final List<String> forgottenNeighbours = new ArrayList<>();
  private int nextIndex = 2;
  private int failAt = -1;

  public FakeIpCommands() {
    links.put(AGENT, new LinkedHashMap<>());
    Link lo = new Link("lo", 1, "", new MacAddress(0), 65536);
    lo.up = true;
    links.get(AGENT).put("lo", lo);
  }

  /** The {@code n}-th mutating call from now on (1-based) throws, as a failing {@code ip} would. */
  void failAtMutation(int n) {
    failAt = mutations.size() + n;
  }

  List<String> mutations() {
    return List.copyOf(mutations);
  }

  /** Kernel settings written, as {@code "<scope>: key"} to value; a namespace's go with it. */
  Map<String, String> sysctls() {
    return Map.copyOf(sysctls);
  }

  /** Announcements sent, as {@code "<netns> <interface> <address>"}, oldest first. */
  public List<String> announcements() {
    return List.copyOf(announcements);
  }

  /** Every neighbour entry dropped, as "DEVICE ADDRESS", in order. */
  List<String> forgottenNeighbours() {
    return List.copyOf(forgottenNeighbours);
  }

  /** Puts a flood entry in place behind the manager's back (as an operator might). */
  void addFloodEntryByHand(String device, Ipv4Address peer) {
    device(NetScope.AGENT, device).flood.add(peer);
  }

  /** Names of the links of a scope, for assertions. */
  List<String> linkNames(NetScope scope) {
    return new ArrayList<>(scope(scope).keySet());
  }

  @Override
  public List<String> namespaces() {
    return new ArrayList<>(namespaces);
  }

  @Override
  public void addNamespace(String name) {
    mutate("netns add " + name);
    if (!namespaces.add(name)) {
      throw AgentException.internal("Cannot create namespace file \"/run/netns/" + name + "\": File exists", null);
    }
    links.put(name, new LinkedHashMap<>());
    links.get(name).put("lo", new Link("lo", 1, "", new MacAddress(0), 65536));
  }

  @Override
  public void deleteNamespace(String name) {
    mutate("netns delete " + name);
    if (!namespaces.remove(name)) {
      throw AgentException.internal("Cannot remove namespace file \"/run/netns/" + name + "\": No such file or directory", null);
    }
    for (Link link : new ArrayList<>(links.get(name).values())) {
      removeLink(name, link);
    }
    links.remove(name);
    routes.remove(name);
    sysctls.keySet().removeIf(k -> k.startsWith(name + ": "));
  }

  @Override
  public List<LinkState> links(NetScope scope) {
    return scope(scope).values().stream().map(this::state).toList();
  }

  @Override
  public Optional<LinkState> link(NetScope scope, String name) {
    return Optional.ofNullable(scope(scope).get(name)).map(this::state);
  }

  @Override
  public void addBridge(String name, int mtu, MacAddress mac) {
    mutate("link add " + name + " type bridge");
    requireFree(AGENT, name);
    links.get(AGENT).put(name, new Link(name, nextIndex++, "bridge", mac, mtu));
  }

  @Override
  public void addVethPair(String hostName, String peerName, MacAddress peerMac, String peerNamespace, int mtu) {
    mutate("link add " + hostName + " type veth peer " + peerName + " netns " + peerNamespace);
    requireFree(AGENT, hostName);
    if (!namespaces.contains(peerNamespace)) {
      throw AgentException.internal("Invalid \"netns\" value \"" + peerNamespace + "\"", null);
    }
    requireFree(peerNamespace, peerName);
    Link host = new Link(hostName, nextIndex++, "veth", MacAddress.derive("random" + nextIndex), mtu);
    Link peer = new Link(peerName, nextIndex++, "veth", peerMac, mtu);
    host.peerScope = peerNamespace;
    host.peerName = peerName;
    peer.peerScope = AGENT;
    peer.peerName = hostName;
    links.get(AGENT).put(hostName, host);
    links.get(peerNamespace).put(peerName, peer);
  }

  @Override
  public void deleteLink(NetScope scope, String name) {
    mutate("link delete " + name + " in " + scope);
    removeLink(key(scope), device(scope, name));
  }

  @Override
  public void attachToBridge(String name, String bridge) {
    mutate("link set " + name + " master " + bridge + " up");
    Link master = device(NetScope.AGENT, bridge);
    // "Cannot find device" above when the bridge is missing, as ip says.
    if (!master.kind.equals("bridge")) {
      throw AgentException.internal("Device " + bridge + " is not a bridge", null);
    }
    Link link = device(NetScope.AGENT, name);
    link.master = bridge;
    link.up = true;
  }

  @Override
  public void enslave(String name, String bridge) {
    mutate("link set " + name + " master " + bridge);
    Link master = device(NetScope.AGENT, bridge);
    if (!master.kind.equals("bridge")) {
      throw AgentException.internal("Device " + bridge + " is not a bridge", null);
    }
    device(NetScope.AGENT, name).master = bridge;
  }

  @Override
  public void setUp(NetScope scope, String name) {
    mutate("link set " + name + " up in " + scope);
    device(scope, name).up = true;
  }

  @Override
  public void setDown(NetScope scope, String name) {
    mutate("link set " + name + " down in " + scope);
    device(scope, name).up = false;
  }

  @Override
  public Optional<String> bridgePortState(String name) {
    Link l = links.get(AGENT).get(name);
    if (l == null || l.master.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(l.up ? "forwarding" : "disabled");
  }

  @Override
  public Optional<VxlanLink> vxlan(String name) {
    Link l = links.get(AGENT).get(name);
    if (l == null || !l.kind.equals("vxlan")) {
      return Optional.empty();
    }
    return Optional.of(new VxlanLink(l.name, l.vni, Optional.ofNullable(l.local), l.port, l.mtu, l.up, l.master));
  }

  @Override
  public void addVxlan(String name, int vni, Ipv4Address local, int port, int mtu) {
    mutate("link add " + name + " type vxlan id " + vni + " local " + local + " dstport " + port);
    requireFree(AGENT, name);
    for (Link other : links.get(AGENT).values()) {
      if (other.kind.equals("vxlan") && other.vni == vni && other.port == port) {
        throw AgentException.internal("Error: A VXLAN device with the specified VNI already exists.", null);
      }
    }
    Link l = new Link(name, nextIndex++, "vxlan", MacAddress.derive("vxlan" + nextIndex), mtu);
    l.vni = vni;
    l.local = local;
    l.port = port;
    links.get(AGENT).put(name, l);
  }

  @Override
  public synchronized List<Ipv4Address> floodPeers(String device) {
    return List.copyOf(vxlanDevice(device).flood);
  }

  @Override
  public synchronized void addFloodPeer(String device, Ipv4Address peer) {
    mutate("fdb append 00:00:00:00:00:00 dev " + device + " dst " + peer);
    Link l = vxlanDevice(device);
    if (!l.flood.contains(peer)) {
      l.flood.add(peer);
    }
  }

  @Override
  public synchronized void removeFloodPeer(String device, Ipv4Address peer) {
    mutate("fdb del 00:00:00:00:00:00 dev " + device + " dst " + peer);
    vxlanDevice(device).flood.remove(peer);
  }

  @Override
  public synchronized void forgetNeighbour(String device, Ipv4Address address) {
    mutate("neigh flush to " + address + " dev " + device);
    device(NetScope.AGENT, device);
    forgottenNeighbours.add(device + " " + address);
  }

  @Override
  public void setSysctl(NetScope scope, String key, String value) {
    mutate("sysctl " + key + "=" + value + " in " + scope);
    scope(scope);
    sysctls.put(key(scope) + ": " + key, value);
  }

  @Override
  public void announce(NetScope scope, String name, Ipv4Address address) {
    mutate("arping -U " + address + " dev " + name + " in " + scope);
    Link link = device(scope, name);
    if (!link.up) {
      throw AgentException.internal("arping: interface " + name + " is down", null);
    }
    announcements.add(key(scope) + " " + name + " " + address);
  }

  private Link vxlanDevice(String device) {
    Link l = device(NetScope.AGENT, device);
    if (!l.kind.equals("vxlan")) {
      throw AgentException.internal("Error: " + device + " is not a VXLAN device", null);
    }
    return l;
  }

  @Override
  public void setMtu(NetScope scope, String name, int mtu) {
    mutate("link set " + name + " mtu " + mtu + " in " + scope);
    device(scope, name).mtu = mtu;
  }

  @Override
  public void setMac(NetScope scope, String name, MacAddress mac) {
    mutate("link set " + name + " address " + mac + " in " + scope);
    device(scope, name).mac = mac;
  }

  @Override
  public void flushAddresses(NetScope scope, String name) {
    mutate("addr flush " + name + " in " + scope);
    device(scope, name).addresses.clear();
    routes.remove(key(scope));
  }

  @Override
  public void addAddress(NetScope scope, String name, Ipv4Address address, int prefixLength) {
    mutate("addr add " + address + "/" + prefixLength + " dev " + name + " in " + scope);
    Link link = device(scope, name);
    LinkState.InterfaceAddress a = new LinkState.InterfaceAddress(address, prefixLength);
    if (link.addresses.contains(a)) {
      throw AgentException.internal("RTNETLINK answers: File exists", null);
    }
    link.addresses.add(a);
  }

  @Override
  public Optional<Ipv4Address> defaultGateway(NetScope scope) {
    scope(scope);
    return Optional.ofNullable(routes.get(key(scope)));
  }

  @Override
  public void replaceDefaultRoute(NetScope scope, Ipv4Address gateway) {
    mutate("route replace default via " + gateway + " in " + scope);
    boolean reachable =
        scope(scope).values().stream()
            .filter(l -> l.up)
            .flatMap(l -> l.addresses.stream())
            .anyMatch(a -> new Ipv4Subnet(new Ipv4Address(a.address().bits() & Ipv4Subnet.mask(a.prefixLength())), a.prefixLength()).contains(gateway));
    if (!reachable) {
      throw AgentException.internal("Error: Nexthop has invalid gateway.", null);
    }
    routes.put(key(scope), gateway);
  }

  private void mutate(String what) {
    mutations.add(what);
    if (mutations.size() == failAt) {
      throw AgentException.internal("injected failure at '" + what + "'", null);
    }
  }

  private LinkState state(Link l) {
    int peerIndex = -1;
    if (l.peerName != null) {
      Link peer = links.get(l.peerScope).get(l.peerName);
      peerIndex = peer == null ? -1 : peer.index;
    }
    return new LinkState(l.name, l.index, l.kind, l.mac, l.mtu, l.up, l.master, peerIndex, l.addresses);
  }

  private void removeLink(String scope, Link link) {
    links.get(scope).remove(link.name);
    if (link.name.equals("eth0")) {
      routes.remove(scope);
    }
    if (link.peerName != null && links.containsKey(link.peerScope)) {
      Link peer = links.get(link.peerScope).remove(link.peerName);
      if (peer != null && peer.name.equals("eth0")) {
        routes.remove(link.peerScope);
      }
    }
  }

  private Map<String, Link> scope(NetScope scope) {
    Map<String, Link> found = links.get(key(scope));
    if (found == null) {
      throw AgentException.internal("Cannot open network namespace \"" + scope.namespace() + "\": No such file or directory", null);
    }
    return found;
  }

  private static String key(NetScope scope) {
    return scope.isAgent() ? AGENT : scope.namespace();
  }

  private Link device(NetScope scope, String name) {
    Link link = scope(scope).get(name);
    if (link == null) {
      throw AgentException.internal("Cannot find device \"" + name + "\"", null);
    }
    return link;
  }

  private void requireFree(String scope, String name) {
    if (links.get(scope).containsKey(name)) {
      throw AgentException.internal("RTNETLINK answers: File exists (" + name + ")", null);
    }
  }
}
