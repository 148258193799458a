package io.ferry.agent.network;

import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * An IPv4 subnet in CIDR form. The network address has no host bits set. Pure and immutable.
 *
 * <p>Ferry's layout of a container subnet: the network address and the broadcast address are never
 * assigned; the first host address is the gateway, held by the host's bridge; every other host
 * address ({@link #assignable()}) may be leased to a container. So a /24 has 253 container
 * addresses and a /29 has 5.
 *
 * @param network the network address (host bits zero)
 * @param prefixLength the number of network bits, 0..32
 */
public record Ipv4Subnet(Ipv4Address network, int prefixLength) {

  public Ipv4Subnet {
    if (prefixLength < 0 || prefixLength > 32) {
      throw new IllegalArgumentException("prefix length /" + prefixLength + " is not in /0../32");
    }
    if ((network.bits() & ~mask(prefixLength)) != 0) {
      throw new IllegalArgumentException(
          network + "/" + prefixLength + " has host bits set; the network address is "
              + new Ipv4Address(network.bits() & mask(prefixLength)) + "/" + prefixLength);
    }
  }

  /**
   * Parses {@code a.b.c.d/len}.
   *
   * @throws IllegalArgumentException when the text is not CIDR or has host bits set, saying which
   */
  public static Ipv4Subnet parse(String cidr) {
    if (cidr == null || cidr.isEmpty()) {
      throw new IllegalArgumentException("a subnet in CIDR form is required (e.g. 10.100.0.0/24)");
    }
    int slash = cidr.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("'" + cidr + "' is not CIDR: missing '/prefix-length' (e.g. 10.100.0.0/24)");
    }
    String length = cidr.substring(slash + 1);
    if (length.isEmpty() || length.length() > 2 || !length.chars().allMatch(Character::isDigit)) {
      throw new IllegalArgumentException("'" + cidr + "' is not CIDR: bad prefix length '" + length + "'");
    }
    Ipv4Address address;
    try {
      address = Ipv4Address.parse(cidr.substring(0, slash));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + cidr + "' is not CIDR: " + e.getMessage(), e);
    }
    return new Ipv4Subnet(address, Integer.parseInt(length));
  }

  /** How many addresses the subnet spans, network and broadcast included. */
  public long size() {
    return 1L << (32 - prefixLength);
  }

  public Ipv4Address broadcast() {
    return network.plus(size() - 1);
  }

  /** The first host address: Ferry gives it to the bridge. Needs a prefix of /30 or shorter. */
  public Ipv4Address gateway() {
    requireHosts();
    return network.plus(1);
  }

  public boolean contains(Ipv4Address address) {
    return (address.bits() & mask(prefixLength)) == network.bits();
  }

  /** Every host address in ascending order: network and broadcast excluded, gateway included. */
  public Stream<Ipv4Address> hosts() {
    requireHosts();
    return LongStream.range(1, size() - 1).mapToObj(network::plus);
  }

  /** The addresses that may be leased, in ascending order: the hosts without the gateway. */
  public Stream<Ipv4Address> assignable() {
    requireHosts();
    return LongStream.range(2, size() - 1).mapToObj(network::plus);
  }

  /** Whether {@code address} may be leased: inside, and not network, broadcast or gateway. */
  public boolean isAssignable(Ipv4Address address) {
    if (!contains(address) || size() < 4) {
      return false;
    }
    long offset = address.unsigned() - network.unsigned();
    return offset >= 2 && offset < size() - 1;
  }

  /** The subnet's netmask as bits, e.g. 0xffffff00 for /24. */
  public static int mask(int prefixLength) {
    return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
  }

  private void requireHosts() {
    if (size() < 4) {
      throw new IllegalStateException(this + " has no room for a gateway and hosts");
    }
  }

  @Override
  public String toString() {
    return network + "/" + prefixLength;
  }
}
