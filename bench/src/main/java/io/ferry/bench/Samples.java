package io.ferry.bench;

import java.util.Arrays;
import java.util.Locale;

/** Latency samples of one measured operation, in milliseconds, with nearest-rank percentiles. */
public final class Samples {

  private final double[] millis;

  public Samples(double[] millis) {
    if (millis.length == 0) {
      throw new IllegalArgumentException("no samples");
    }
    this.millis = millis.clone();
    Arrays.sort(this.millis);
  }

  /** Nearest-rank percentile, {@code p} in (0, 100]. */
  public double percentile(double p) {
    if (p <= 0 || p > 100) {
      throw new IllegalArgumentException("percentile must be in (0, 100]: " + p);
    }
    int rank = (int) Math.ceil(p / 100.0 * millis.length);
    return millis[Math.max(rank, 1) - 1];
  }

  public double mean() {
    return Arrays.stream(millis).average().orElseThrow();
  }

  public int count() {
    return millis.length;
  }

  /** Formats a figure the way every benchmark prints it: three decimals, dot separator. */
  public static String format(double value) {
    return String.format(Locale.ROOT, "%.3f", value);
  }
}
