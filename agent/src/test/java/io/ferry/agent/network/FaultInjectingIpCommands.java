package io.ferry.agent.network;

import io.ferry.agent.AgentException;
import java.util.List;
import java.util.Optional;

/**
 * Passes every call to a real {@link IpCommands} and fails the n-th change (queries pass
 * untouched) before it reaches the kernel, as an {@code ip} that failed would. Thread-safe enough
 * for one test thread.
 */
final class FaultInjectingIpCommands implements IpCommands {

  private final IpCommands delegate;
  private int changes;
  private int failAt = -1;

  FaultInjectingIpCommands(IpCommands delegate) {
    this.delegate = delegate;
  }

  /** The {@code n}-th change from now on (1-based) throws; 0 or less: none. */
  void failAtChange(int n) {
    failAt = n <= 0 ? -1 : changes + n;
  }

  int changes() {
    return changes;
  }

  private void change(String what) {
    changes++;
    if (changes == failAt) {
      throw AgentException.internal("injected failure at change " + changes + ": " + what, null);
    }
  }

  @Override
  public List<String> namespaces() {
    return delegate.namespaces();
  }

  @Override
  public void addNamespace(String name) {
    change("netns add " + name);
    delegate.addNamespace(name);
  }

  @Override
  public void deleteNamespace(String name) {
    change("netns delete " + name);
    delegate.deleteNamespace(name);
  }

  @Override
  public List<LinkState> links(NetScope scope) {
    return delegate.links(scope);
  }

  @Override
  public Optional<LinkState> link(NetScope scope, String name) {
    return delegate.link(scope, name);
  }

  @Override
  public void addBridge(String name, int mtu, MacAddress mac) {
    change("bridge add " + name);
    delegate.addBridge(name, mtu, mac);
  }

  @Override
  public void addVethPair(String hostName, String peerName, MacAddress peerMac, String peerNamespace, int mtu) {
    change("veth add " + hostName);
    delegate.addVethPair(hostName, peerName, peerMac, peerNamespace, mtu);
  }

  @Override
  public void deleteLink(NetScope scope, String name) {
    change("link delete " + name);
    delegate.deleteLink(scope, name);
  }

  @Override
  public void attachToBridge(String name, String bridge) {
    change("attach to bridge " + name);
    delegate.attachToBridge(name, bridge);
  }

  @Override
  public void enslave(String name, String bridge) {
    change("enslave " + name);
    delegate.enslave(name, bridge);
  }

  @Override
  public void setUp(NetScope scope, String name) {
    change("set up " + name);
    delegate.setUp(scope, name);
  }

  @Override
  public void setMtu(NetScope scope, String name, int mtu) {
    change("set mtu " + name);
    delegate.setMtu(scope, name, mtu);
  }

  @Override
  public void setMac(NetScope scope, String name, MacAddress mac) {
    change("set mac " + name);
    delegate.setMac(scope, name, mac);
  }

  @Override
  public void flushAddresses(NetScope scope, String name) {
    change("flush " + name);
    delegate.flushAddresses(scope, name);
  }

  @Override
  public void addAddress(NetScope scope, String name, Ipv4Address address, int prefixLength) {
    change("addr add " + address);
    delegate.addAddress(scope, name, address, prefixLength);
  }

  @Override
  public Optional<Ipv4Address> defaultGateway(NetScope scope) {
    return delegate.defaultGateway(scope);
  }

  @Override
  public void replaceDefaultRoute(NetScope scope, Ipv4Address gateway) {
    change("route replace " + gateway);
    delegate.replaceDefaultRoute(scope, gateway);
  }

  @Override
  public void setDown(NetScope scope, String name) {
    change("set down " + name);
    delegate.setDown(scope, name);
  }

  @Override
  public Optional<String> bridgePortState(String name) {
    return delegate.bridgePortState(name);
  }

  @Override
  public Optional<VxlanLink> vxlan(String name) {
    return delegate.vxlan(name);
  }

  @Override
  public void addVxlan(String name, int vni, Ipv4Address local, int port, int mtu) {
    change("vxlan add " + name);
    delegate.addVxlan(name, vni, local, port, mtu);
  }

  @Override
  public List<Ipv4Address> floodPeers(String device) {
    return delegate.floodPeers(device);
  }

  @Override
  public void addFloodPeer(String device, Ipv4Address peer) {
    change("flood add " + peer);
    delegate.addFloodPeer(device, peer);
  }

  @Override
  public void removeFloodPeer(String device, Ipv4Address peer) {
    change("flood del " + peer);
    delegate.removeFloodPeer(device, peer);
  }

  @Override
  public void forgetNeighbour(String device, Ipv4Address address) {
    change("neigh flush " + address);
    delegate.forgetNeighbour(device, address);
  }

  @Override
  public void setSysctl(NetScope scope, String key, String value) {
    change("sysctl " + key);
    delegate.setSysctl(scope, key, value);
  }

  @Override
  public void announce(NetScope scope, String name, Ipv4Address address) {
    change("announce " + address);
    delegate.announce(scope, name, address);
  }
}
