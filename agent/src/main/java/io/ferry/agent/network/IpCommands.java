package io.ferry.agent.network;

import java.util.List;
import java.util.Optional;

/**
 * The {@code ip} (iproute2) operations Ferry's networking is made of, with the few neighbours that
 * iproute2 lacks ({@code bridge fdb} for the overlay's flood list, {@code sysctl} inside a
 * namespace, BusyBox {@code arping} for announcements): the only place that talks to the kernel's
 * network configuration, so the domain logic ({@link NetworkManager}) runs on a fake in unit tests.
 * Each method is one command.
 *
 * <p>Contract: every call either does what it says or throws {@link io.ferry.agent.AgentException}
 * (INTERNAL with the tool's stderr; TIMEOUT when the command's timeout passed; whether the change
 * happened is then unknown). Queries of something absent return empty, not an error. Calls in
 * {@link NetScope#AGENT} act in the namespace the agent's commands run in; the others in the named
 * namespace, which must exist. Implementations are thread-safe; the caller orders calls on one
 * container.
 */
public interface IpCommands {

  /**
   * The names of the network namespaces in {@code /run/netns} (machine-wide, not per agent). What
   * {@code ip netns list} prints; implementations may read the directory instead of running it.
   */
  List<String> namespaces();

  /** Creates a new, empty network namespace {@code /run/netns/<name>}; fails when it exists. */
  void addNamespace(String name);

  /** Removes the name (the namespace dies with its last process); fails when it does not exist. */
  void deleteNamespace(String name);

  /** Every interface of the namespace, with its IPv4 addresses. */
  List<LinkState> links(NetScope scope);

  /** One interface, empty when the namespace has no interface of that name. */
  Optional<LinkState> link(NetScope scope, String name);

  /** Creates a bridge in the agent's namespace, down, with the given MTU and MAC. */
  void addBridge(String name, int mtu, MacAddress mac);

  /**
   * Creates a veth pair: {@code hostName} in the agent's namespace and {@code peerName} with {@code
   * peerMac} directly in the namespace {@code peerNamespace}; both ends down, both with {@code mtu}.
   * Either both ends exist afterwards or neither.
   */
  void addVethPair(String hostName, String peerName, MacAddress peerMac, String peerNamespace, int mtu);

  /** Deletes an interface (for a veth, both ends); fails when it does not exist. */
  void deleteLink(NetScope scope, String name);

  /** Enslaves an interface of the agent's namespace to a bridge and sets it up (one command). */
  void attachToBridge(String name, String bridge);

  /** Enslaves an interface of the agent's namespace to a bridge, leaving it as it is (down stays down). */
  void enslave(String name, String bridge);

  void setUp(NetScope scope, String name);

  /** Sets the interface administratively down (a veth's peer then loses its carrier). */
  void setDown(NetScope scope, String name);

  void setMtu(NetScope scope, String name, int mtu);

  void setMac(NetScope scope, String name, MacAddress mac);

  /** Removes every IPv4 address of the interface. */
  void flushAddresses(NetScope scope, String name);

  void addAddress(NetScope scope, String name, Ipv4Address address, int prefixLength);

  /** The gateway of the namespace's IPv4 default route, empty when it has none. */
  Optional<Ipv4Address> defaultGateway(NetScope scope);

  /** Sets the namespace's IPv4 default route to go via {@code gateway}, replacing any other. */
  void replaceDefaultRoute(NetScope scope, Ipv4Address gateway);

  /**
   * The bridge port state of interface {@code name} of the agent's namespace ({@code forwarding},
   * {@code disabled}, {@code blocking}, ...): a port forwards only once the kernel has seen its
   * carrier come up, which it does asynchronously after the link is set up. Empty when the
   * interface is absent or on no bridge.
   */
  Optional<String> bridgePortState(String name);

  /** The VXLAN interface of that name in the agent's namespace; empty when absent or not VXLAN. */
  Optional<VxlanLink> vxlan(String name);

  /**
   * Creates a VXLAN interface in the agent's namespace, down, learning remote MACs from traffic:
   * {@code ip link add NAME mtu MTU type vxlan id VNI local LOCAL dstport PORT}.
   */
  void addVxlan(String name, int vni, Ipv4Address local, int port, int mtu);

  /**
   * The flood list of a VXLAN interface: the remote addresses of its all-zero-MAC forwarding
   * entries, where broadcast and unknown-unicast frames are sent ({@code bridge fdb show}).
   */
  List<Ipv4Address> floodPeers(String device);

  /** Adds {@code peer} to the flood list ({@code bridge fdb append 00:00:00:00:00:00 ... dst}). */
  void addFloodPeer(String device, Ipv4Address peer);

  /** Removes {@code peer} from the flood list; nothing happens when it is not there. */
  void removeFloodPeer(String device, Ipv4Address peer);

  /**
   * Drops what the agent's namespace remembers of {@code address} on {@code device}: its neighbour
   * (ARP) entry and the MAC in it ({@code ip neigh flush to ADDRESS dev DEVICE}). Nothing happens
   * when there is none; fails when the device does not exist.
   */
  void forgetNeighbour(String device, Ipv4Address address);

  /**
   * Writes one kernel setting of the namespace, e.g. {@code net.ipv4.conf.eth0.arp_notify=1}
   * ({@code sysctl -w}, run inside the namespace: {@code /proc/sys/net} is per namespace).
   */
  void setSysctl(NetScope scope, String key, String value);

  /**
   * Sends one gratuitous ARP for {@code address} out of interface {@code name} of the namespace
   * (BusyBox {@code arping -U}), so every host of the layer-2 network, through the overlay, learns
   * where the address and its MAC are now.
   */
  void announce(NetScope scope, String name, Ipv4Address address);

  /**
   * Configures a freshly made container interface in one go: its address, it and loopback up, the
   * default route via {@code gateway}. Equivalent to {@link #addAddress}, {@link #setUp} twice and
   * {@link #replaceDefaultRoute}; an implementation may run them as one batch (a launch costs
   * one process instead of four). On failure some steps may have happened: the caller removes the
   * interface (it is fresh) rather than undoing steps.
   */
  default void configureFreshInterface(
      NetScope scope, String name, Ipv4Address address, int prefixLength, Ipv4Address gateway) {
    addAddress(scope, name, address, prefixLength);
    setUp(scope, name);
    setUp(scope, NamingScheme.LOOPBACK);
    replaceDefaultRoute(scope, gateway);
  }

  /**
   * Makes a new namespace and a veth pair into it, the host end on {@code bridge} and up: {@link
   * #addNamespace}, {@link #addVethPair} and {@link #attachToBridge} in one go (an implementation
   * may batch them). On failure some steps may have happened: the caller deletes the host end and
   * the namespace.
   */
  default void addNamespaceWithPair(
      String namespace, String hostName, String peerName, MacAddress peerMac, int mtu, String bridge) {
    addNamespaceWithPair(namespace, hostName, peerName, peerMac, mtu, bridge, true);
  }

  /**
   * As {@link #addNamespaceWithPair(String, String, String, MacAddress, int, String)}, the host end
   * set up only when {@code hostUp}; otherwise it is enslaved and stays down, so nothing of the
   * container reaches the bridge.
   */
  default void addNamespaceWithPair(
      String namespace, String hostName, String peerName, MacAddress peerMac, int mtu, String bridge, boolean hostUp) {
    addNamespace(namespace);
    addVethPair(hostName, peerName, peerMac, namespace, mtu);
    if (hostUp) {
      attachToBridge(hostName, bridge);
    } else {
      enslave(hostName, bridge);
    }
  }
}
