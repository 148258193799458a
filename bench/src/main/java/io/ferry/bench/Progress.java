package io.ferry.bench;

import java.util.Locale;

/** Progress lines on stderr, each with the seconds since the benchmark JVM started. */
final class Progress {

  private static final long START = System.nanoTime();

  private Progress() {}

  static void log(String format, Object... args) {
    double seconds = (System.nanoTime() - START) / 1e9;
    System.err.printf(Locale.ROOT, "bench [%7.1fs] %s%n", seconds, String.format(Locale.ROOT, format, args));
  }
}
