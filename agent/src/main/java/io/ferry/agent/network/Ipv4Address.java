package io.ferry.agent.network;

/**
 * One IPv4 address as its 32 bits (held in an {@code int}, compared unsigned). Immutable.
 *
 * @param bits the address, most significant octet first
 */
public record Ipv4Address(int bits) implements Comparable<Ipv4Address> {

  /**
   * Parses dotted-quad notation ({@code 10.100.0.7}): exactly four decimal octets 0..255, no
   * leading {@code +}, no spaces.
   *
   * @throws IllegalArgumentException naming the text and what is wrong with it
   */
  public static Ipv4Address parse(String text) {
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
    return new Ipv4Address(bits);
  }

  /** The address {@code n} after this one (negative goes back), wrapping at 32 bits. */
  public Ipv4Address plus(long n) {
    return new Ipv4Address((int) (unsigned() + n));
  }

  /** The address as a non-negative number, 0 .. 2^32-1. */
  public long unsigned() {
    return Integer.toUnsignedLong(bits);
  }

  @Override
  public int compareTo(Ipv4Address other) {
    return Integer.compareUnsigned(bits, other.bits);
  }

  /** Dotted-quad notation, the form {@link #parse} reads. */
  @Override
  public String toString() {
    return ((bits >>> 24) & 0xff) + "." + ((bits >>> 16) & 0xff) + "." + ((bits >>> 8) & 0xff) + "." + (bits & 0xff);
  }
}
