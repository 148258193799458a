package io.ferry.migration.transfer;

import java.util.function.LongSupplier;

/**
 * Bytes sent so far against an expected total, with a rate over roughly the last second and the
 * time left at that rate. Thread-safe: senders add from their threads, the reporter reads.
 */
public final class ProgressMeter {

  private static final long WINDOW_NANOS = 1_000_000_000L;

  private final LongSupplier nanoTime;
  private long sent;
  private long total;
  private long windowStart;
  private long windowBytes;
  private long rate;

  public ProgressMeter(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
    this.windowStart = nanoTime.getAsLong();
  }

  public ProgressMeter() {
    this(System::nanoTime);
  }

  public synchronized void add(long bytes) {
    sent += bytes;
    windowBytes += bytes;
    roll();
  }

  /** Raises the expected total by {@code bytes} (a new pass, the memory once dumped). */
  public synchronized void expect(long bytes) {
    total += bytes;
  }

  public synchronized long sent() {
    return sent;
  }

  /** The expected total, never below what was sent. */
  public synchronized long total() {
    return Math.max(total, sent);
  }

  /** Bytes per second over the last completed window (or the current one if none completed). */
  public synchronized long bytesPerSecond() {
    roll();
    if (rate > 0) {
      return rate;
    }
    long elapsed = nanoTime.getAsLong() - windowStart;
    return elapsed <= 0 ? 0 : windowBytes * 1_000_000_000L / elapsed;
  }

  /** Seconds left at the current rate, 0 when unknown. */
  public synchronized long etaSeconds() {
    long perSecond = bytesPerSecond();
    long left = total() - sent;
    return perSecond <= 0 || left <= 0 ? 0 : (left + perSecond - 1) / perSecond;
  }

  private void roll() {
    long now = nanoTime.getAsLong();
    long elapsed = now - windowStart;
    if (elapsed >= WINDOW_NANOS) {
      rate = windowBytes * 1_000_000_000L / elapsed;
      windowStart = now;
      windowBytes = 0;
    }
  }
}
