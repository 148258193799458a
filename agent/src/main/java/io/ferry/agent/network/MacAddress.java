package io.ferry.agent.network;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A 48-bit Ethernet MAC address, held in the low bits of a {@code long}. Immutable.
 *
 * <p>Ferry gives each container a MAC derived from its name ({@link #derive}): always unicast and
 * locally administered (first octet {@code x2}, {@code x6}, {@code xA} or {@code xE}), so it never
 * collides with a vendor-assigned address, and stable, so a container keeps its MAC across agent
 * restarts and host moves. The allocator stores it in the lease, so the MAC survives even if the
 * derivation changed.
 *
 * @param bits the six octets, first octet most significant
 */
public record MacAddress(long bits) {

  private static final long MASK = 0xffff_ffff_ffffL;
  private static final long MULTICAST_BIT = 0x01_0000_0000_00L;
  private static final long LOCAL_BIT = 0x02_0000_0000_00L;

  public MacAddress {
    if ((bits & ~MASK) != 0) {
      throw new IllegalArgumentException("a MAC address has 48 bits: " + Long.toHexString(bits));
    }
  }

  /**
   * Parses {@code 02:ab:cd:ef:01:23} (colon-separated, hex, either case).
   *
   * @throws IllegalArgumentException naming the text when it is not six hex octets
   */
  public static MacAddress parse(String text) {
    String[] parts = text == null ? new String[0] : text.split(":", -1);
    if (parts.length != 6) {
      throw new IllegalArgumentException("'" + text + "' is not a MAC address (want six octets, e.g. 02:ab:cd:ef:01:23)");
    }
    long bits = 0;
    for (String part : parts) {
      if (part.length() != 2 || !HexFormat.isHexDigit(part.charAt(0)) || !HexFormat.isHexDigit(part.charAt(1))) {
        throw new IllegalArgumentException("'" + text + "' is not a MAC address: bad octet '" + part + "'");
      }
      bits = (bits << 8) | HexFormat.fromHexDigits(part);
    }
    return new MacAddress(bits);
  }

  /**
   * The MAC for {@code seed} (a container name; the allocator appends a counter on the rare
   * collision): {@code 02} followed by the first five bytes of SHA-256 of the seed in UTF-8. Equal
   * seeds give equal MACs on every host and JVM.
   */
  public static MacAddress derive(String seed) {
    byte[] hash = sha256(seed);
    long bits = 0x02;
    for (int i = 0; i < 5; i++) {
      bits = (bits << 8) | (hash[i] & 0xff);
    }
    return new MacAddress(bits);
  }

  /** False for group (multicast and broadcast) addresses, which no interface may carry. */
  public boolean isUnicast() {
    return (bits & MULTICAST_BIT) == 0;
  }

  /** True when the address is not vendor-assigned (the U/L bit of the first octet is set). */
  public boolean isLocallyAdministered() {
    return (bits & LOCAL_BIT) != 0;
  }

  /** Lower-case colon-separated form, as {@code ip} prints it. */
  @Override
  public String toString() {
    StringBuilder out = new StringBuilder(17);
    for (int shift = 40; shift >= 0; shift -= 8) {
      if (out.length() > 0) {
        out.append(':');
      }
      out.append(HexFormat.of().toHexDigits((byte) (bits >>> shift)));
    }
    return out.toString();
  }

  static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
