package io.ferry.common;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A non-negative number of bytes, written the way operators write them: {@code 512MiB},
 * {@code 2GiB}, {@code 100MB}, {@code 4096}. Binary suffixes (KiB, MiB, GiB, TiB) are powers of
 * 1024; decimal ones (kB/KB, MB, GB, TB) powers of 1000; a bare {@code K}, {@code M}, {@code G},
 * {@code T} is binary, as in cgroup and Docker usage.
 *
 * <p>{@link #parse} rejects negative values, fractions that are not whole bytes, unknown suffixes
 * and overflow with an {@link IllegalArgumentException} whose message names the input.
 */
public record ByteSize(long bytes) implements Comparable<ByteSize> {

  private static final Pattern FORM =
      Pattern.compile("\\s*(\\d+(?:\\.\\d+)?)\\s*([A-Za-z]*)\\s*");

  private static final long KIB = 1024L;
  private static final long MIB = KIB * 1024;
  private static final long GIB = MIB * 1024;
  private static final long TIB = GIB * 1024;

  public ByteSize {
    if (bytes < 0) {
      throw new IllegalArgumentException("a size cannot be negative: " + bytes);
    }
  }

  public static ByteSize ofBytes(long bytes) {
    return new ByteSize(bytes);
  }

  public static ByteSize ofMiB(long mib) {
    return new ByteSize(Math.multiplyExact(mib, MIB));
  }

  public static ByteSize ofGiB(long gib) {
    return new ByteSize(Math.multiplyExact(gib, GIB));
  }

  /** Parses {@code 512MiB}, {@code 1.5GiB}, {@code 100MB}, {@code 4096}. */
  public static ByteSize parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("a size is required");
    }
    Matcher m = FORM.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "not a size: '" + text + "' (expected e.g. 512MiB, 2GiB, 100MB or a number of bytes)");
    }
    long unit = unit(m.group(2), text);
    double value = Double.parseDouble(m.group(1));
    double bytes = value * unit;
    if (bytes > Long.MAX_VALUE) {
      throw new IllegalArgumentException("size too large: '" + text + "'");
    }
    if (bytes != Math.floor(bytes)) {
      throw new IllegalArgumentException("size is not a whole number of bytes: '" + text + "'");
    }
    return new ByteSize((long) bytes);
  }

  private static long unit(String suffix, String text) {
    switch (suffix.toLowerCase(Locale.ROOT)) {
      case "":
      case "b":
        return 1;
      case "k":
      case "kib":
        return KIB;
      case "m":
      case "mib":
        return MIB;
      case "g":
      case "gib":
        return GIB;
      case "t":
      case "tib":
        return TIB;
      case "kb":
        return 1000L;
      case "mb":
        return 1000L * 1000;
      case "gb":
        return 1000L * 1000 * 1000;
      case "tb":
        return 1000L * 1000 * 1000 * 1000;
      default:
        throw new IllegalArgumentException(
            "unknown size unit '" + suffix + "' in '" + text + "' (use KiB, MiB, GiB, TiB, kB, MB, GB, TB)");
    }
  }

  public long toMiB() {
    return bytes / MIB;
  }

  /** The shortest exact binary form, e.g. {@code 512MiB}; falls back to bytes. */
  @Override
  public String toString() {
    for (var unit : new Object[][] {{TIB, "TiB"}, {GIB, "GiB"}, {MIB, "MiB"}, {KIB, "KiB"}}) {
      long size = (Long) unit[0];
      if (bytes != 0 && bytes % size == 0) {
        return bytes / size + (String) unit[1];
      }
    }
    return bytes + "B";
  }

  /** A rounded form for people, e.g. {@code 1.5 GiB}. */
  public String humanReadable() {
    if (bytes < KIB) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double value = bytes;
    int i = -1;
    while (value >= 1024 && i < units.length - 1) {
      value /= 1024;
      i++;
    }
    return String.format(Locale.ROOT, value >= 100 ? "%.0f %s" : "%.1f %s", value, units[i]);
  }

  @Override
  public int compareTo(ByteSize other) {
    return Long.compare(bytes, other.bytes);
  }
}
