package io.ferry.coordinator.placement;

import io.ferry.common.ByteSize;
import java.util.Locale;

/**
 * An amount of the three resources placement accounts for: cpu in millicores (1000 = one cpu),
 * memory and disk in bytes. Used both for capacities and allocations of hosts and for what a
 * container reserves.
 *
 * <p>Every component is non-negative; the constructor and {@link #minus} refuse anything else with
 * an {@link IllegalArgumentException}. Arithmetic overflow throws {@link ArithmeticException}.
 */
public record Resources(long cpuMillis, long memoryBytes, long diskBytes) {

  public static final Resources ZERO = new Resources(0, 0, 0);

  public Resources {
    if (cpuMillis < 0 || memoryBytes < 0 || diskBytes < 0) {
      throw new IllegalArgumentException(
          "resources cannot be negative: cpu "
              + cpuMillis
              + "m, memory "
              + memoryBytes
              + " bytes, disk "
              + diskBytes
              + " bytes");
    }
  }

  /** From sizes as parsed from config or requests; cpu in millicores. */
  public static Resources of(long cpuMillis, ByteSize memory, ByteSize disk) {
    return new Resources(cpuMillis, memory.bytes(), disk.bytes());
  }

  /** The component-wise sum; throws {@link ArithmeticException} on overflow. */
  public Resources plus(Resources other) {
    return new Resources(
        Math.addExact(cpuMillis, other.cpuMillis),
        Math.addExact(memoryBytes, other.memoryBytes),
        Math.addExact(diskBytes, other.diskBytes));
  }

  /**
   * The component-wise difference; throws {@link IllegalArgumentException} when any component
   * would go negative (use {@link #minusSaturating} when that is expected).
   */
  public Resources minus(Resources other) {
    return new Resources(
        cpuMillis - other.cpuMillis, memoryBytes - other.memoryBytes, diskBytes - other.diskBytes);
  }

  /** The component-wise difference, each component floored at zero. */
  public Resources minusSaturating(Resources other) {
    return new Resources(
        Math.max(0, cpuMillis - other.cpuMillis),
        Math.max(0, memoryBytes - other.memoryBytes),
        Math.max(0, diskBytes - other.diskBytes));
  }

  /** True when every component of this amount is at most the same component of {@code free}. */
  public boolean fitsIn(Resources free) {
    return cpuMillis <= free.cpuMillis
        && memoryBytes <= free.memoryBytes
        && diskBytes <= free.diskBytes;
  }

  /** Cpus for people, one decimal: 2500 millicores is {@code 2.5}. */
  static String cpus(long millis) {
    return String.format(Locale.ROOT, "%.1f", millis / 1000.0);
  }

  @Override
  public String toString() {
    return cpus(cpuMillis)
        + " cpus, "
        + ByteSize.ofBytes(memoryBytes).humanReadable()
        + " memory, "
        + ByteSize.ofBytes(diskBytes).humanReadable()
        + " disk";
  }
}
