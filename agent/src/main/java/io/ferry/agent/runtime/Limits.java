package io.ferry.agent.runtime;

import io.ferry.agent.AgentException;
import java.util.OptionalLong;

/**
 * Resource limits of one container, each optional: an absent value means "no limit" when
 * creating and "leave as it is" when updating a running container.
 *
 * <p>CPU: {@code cpuShares} is the relative weight (cgroup v1 cpu.shares, 2..262144);
 * {@code cpuQuotaMicros} per {@code cpuPeriodMicros} caps CPU time (e.g. 50000/100000 = half a
 * core). Memory: {@code memoryBytes} is the hard limit; swap is always off (memory+swap limit equal
 * to the memory limit). Pids: the most tasks the container may hold.
 */
public record Limits(
    OptionalLong cpuShares,
    OptionalLong cpuQuotaMicros,
    OptionalLong cpuPeriodMicros,
    OptionalLong memoryBytes,
    OptionalLong pidsMax) {

  public static final Limits NONE =
      new Limits(OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty());

  /** The smallest memory limit accepted: below this, init cannot even start. */
  public static final long MIN_MEMORY_BYTES = 4L << 20;

  public Limits {
    check("cpu shares", cpuShares, 2, 262_144);
    check("cpu quota", cpuQuotaMicros, 1_000, Long.MAX_VALUE);
    check("cpu period", cpuPeriodMicros, 1_000, 1_000_000);
    check("memory", memoryBytes, MIN_MEMORY_BYTES, Long.MAX_VALUE);
    check("pids", pidsMax, 1, 4_194_304);
  }

  private static void check(String what, OptionalLong value, long min, long max) {
    if (value.isPresent() && (value.getAsLong() < min || value.getAsLong() > max)) {
      throw AgentException.invalid(
          what + " limit " + value.getAsLong() + " is out of range [" + min + ", " + (max == Long.MAX_VALUE ? "inf" : max) + "]");
    }
  }

  /** These limits with every value present in {@code update} replacing this one's. */
  public Limits merge(Limits update) {
    return new Limits(
        or(update.cpuShares, cpuShares),
        or(update.cpuQuotaMicros, cpuQuotaMicros),
        or(update.cpuPeriodMicros, cpuPeriodMicros),
        or(update.memoryBytes, memoryBytes),
        or(update.pidsMax, pidsMax));
  }

  private static OptionalLong or(OptionalLong preferred, OptionalLong fallback) {
    return preferred.isPresent() ? preferred : fallback;
  }
}
