package io.ferry.agent.network;

import java.util.List;
import java.util.Optional;

/**
 * What {@code ip -d addr show} says about one network interface, reduced to what Ferry checks.
 *
 * @param name the interface name
 * @param index its ifindex, unique within its namespace
 * @param kind the link kind ({@code veth}, {@code bridge}, ...), empty for plain devices such as
 *     {@code lo}
 * @param mac its hardware address
 * @param mtu its MTU
 * @param up whether it is administratively up (the {@code UP} flag, not the carrier)
 * @param master the bridge it is enslaved to, empty when none
 * @param peerIndex for a veth, the ifindex of its peer in the peer's namespace; -1 when unknown
 * @param addresses its IPv4 addresses
 */
public record LinkState(
    String name,
    int index,
    String kind,
    MacAddress mac,
    int mtu,
    boolean up,
    String master,
    int peerIndex,
    List<InterfaceAddress> addresses) {

  /** One IPv4 address of an interface, with its prefix length. */
  public record InterfaceAddress(Ipv4Address address, int prefixLength) {
    @Override
    public String toString() {
      return address + "/" + prefixLength;
    }
  }

  public LinkState {
    kind = kind == null ? "" : kind;
    master = master == null ? "" : master;
    addresses = List.copyOf(addresses);
  }

  public boolean isVeth() {
    return kind.equals("veth");
  }

  public boolean isBridge() {
    return kind.equals("bridge");
  }

  public Optional<String> masterName() {
    return master.isEmpty() ? Optional.empty() : Optional.of(master);
  }
}
