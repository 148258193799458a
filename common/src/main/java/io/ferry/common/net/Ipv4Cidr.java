package io.ferry.common.net;

/**
 * An IPv4 network in CIDR form ({@code 10.100.0.0/16}), for the parts of Ferry that only need to
 * name, compare and walk a container subnet: the coordinator's cluster-wide address allocation and
 * the subnet an agent registers. Pure and immutable. (The agent's network adapter has richer types
 * of its own.)
 *
 * <p>Ferry's layout of a container subnet, the same on both sides: the network and broadcast
 * addresses are never assigned, the first host address is the gateway (every host's bridge holds
 * it), every other host address may go to a container.
 *
 * @param network the network address as 32 bits (host bits zero)
 * @param prefixLength the number of network bits, 0..32
 */
public record Ipv4Cidr(int network, int prefixLength) {

  public Ipv4Cidr {
    if (prefixLength < 0 || prefixLength > 32) {
      throw new IllegalArgumentException("prefix length /" + prefixLength + " is not in /0../32");
    }
    if ((network & ~mask(prefixLength)) != 0) {
      throw new IllegalArgumentException(
          format(network) + "/" + prefixLength + " has host bits set; the network address is "
              + format(network & mask(prefixLength)) + "/" + prefixLength);
    }
  }

  /**
   * Parses {@code a.b.c.d/len}.
   *
   * @throws IllegalArgumentException saying what is wrong with the text
   */
  public static Ipv4Cidr parse(String cidr) {
    if (cidr == null || cidr.isEmpty()) {
      throw new IllegalArgumentException("a subnet in CIDR form is required (e.g. 10.100.0.0/16)");
    }
    int slash = cidr.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("'" + cidr + "' is not CIDR: missing '/prefix-length' (e.g. 10.100.0.0/16)");
    }
    String length = cidr.substring(slash + 1);
    if (length.isEmpty() || length.length() > 2 || !length.chars().allMatch(Character::isDigit)) {
      throw new IllegalArgumentException("'" + cidr + "' is not CIDR: bad prefix length '" + length + "'");
    }
    int address;
    try {
      address = parseAddress(cidr.substring(0, slash));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + cidr + "' is not CIDR: " + e.getMessage(), e);
    }
    return new Ipv4Cidr(address, Integer.parseInt(length));
  }

  /**
   * Parses dotted-quad notation: exactly four decimal octets 0..255.
   *
   * @throws IllegalArgumentException naming the text and what is wrong with it
   */
  public static int parseAddress(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("an IPv4 address is required");
    }
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException("'" + text + "' is not an IPv4 address (want four octets, e.g. 10.100.0.7)");
    }
    int bits = 0;
    for (String part : parts) {
      if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)) {
        throw new IllegalArgumentException("'" + text + "' is not an IPv4 address: bad octet '" + part + "'");
      }
      int octet = Integer.parseInt(part);
      if (octet > 255) {
        throw new IllegalArgumentException("'" + text + "' is not an IPv4 address: octet " + octet + " > 255");
      }
      bits = (bits << 8) | octet;
    }
    return bits;
  }

  /** True when {@code text} is a dotted-quad IPv4 address. */
  public static boolean isAddress(String text) {
    try {
      parseAddress(text);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Dotted-quad notation of 32 bits. */
  public static String format(int address) {
    return ((address >>> 24) & 0xff) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "." + (address & 0xff);
  }

  /** The netmask as bits, e.g. 0xffffff00 for /24. */
  public static int mask(int prefixLength) {
    return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
  }

  /** How many addresses the network spans, network and broadcast included. */
  public long size() {
    return 1L << (32 - prefixLength);
  }

  public boolean contains(int address) {
    return (address & mask(prefixLength)) == network;
  }

  /** The {@code offset}-th address of the network (0 is the network address itself). */
  public int address(long offset) {
    if (offset < 0 || offset >= size()) {
      throw new IllegalArgumentException("offset " + offset + " is outside " + this);
    }
    return (int) (Integer.toUnsignedLong(network) + offset);
  }

  /** Where {@code address} sits in the network (0 for the network address). */
  public long offsetOf(int address) {
    if (!contains(address)) {
      throw new IllegalArgumentException(format(address) + " is outside " + this);
    }
    return Integer.toUnsignedLong(address) - Integer.toUnsignedLong(network);
  }

  /** The first host address, Ferry's gateway. Needs a prefix of /30 or shorter. */
  public int gateway() {
    if (size() < 4) {
      throw new IllegalStateException(this + " has no room for a gateway and hosts");
    }
    return address(1);
  }

  /**
   * Whether {@code address} may go to a container: inside, and not the network, gateway or
   * broadcast address.
   */
  public boolean isAssignable(int address) {
    if (!contains(address) || size() < 4) {
      return false;
    }
    long offset = offsetOf(address);
    return offset >= 2 && offset < size() - 1;
  }

  /** How many addresses may go to containers: all but network, gateway and broadcast. */
  public long assignableCount() {
    return size() < 4 ? 0 : size() - 3;
  }

  @Override
  public String toString() {
    return format(network) + "/" + prefixLength;
  }
}
