package io.ferry.coordinator.operations;

import io.ferry.coordinator.store.OperationRecord;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running operation's progress, recorded only for steps that last: a phase is written {@code
 * delay} after it began, and only if no later phase (nor the operation's end) replaced it by then.
 * An operation whose steps all take less than {@code delay} (a launch on an idle host) costs no
 * progress write at all, only its end; a slow step shows in {@code WatchOperation} {@code delay}
 * late. Progress is advisory: resuming an operation never depends on which phase was recorded.
 *
 * <p>Contract with the end: {@link #close()} returns only after a phase write in progress has
 * finished, and no phase is written after it, so the caller can then record the operation's end
 * without a late phase overwriting it (phase writes are not conditional on a version).
 *
 * <p>Thread-safe. Failure modes: a failed phase write (ZooKeeper unavailable, leadership lost) is
 * logged and dropped; the operation's own thread meets the same failure at its next write.
 */
final class DeferredProgress implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(DeferredProgress.class);

  private final ScheduledExecutorService timer;
  private final Duration delay;
  private final Consumer<OperationRecord> record;
  private long shown;
  private boolean closed;
  private ScheduledFuture<?> pending;

  /**
   * @param timer runs the delayed writes
   * @param record writes an operation's record (the runner's, which checks leadership first)
   */
  DeferredProgress(ScheduledExecutorService timer, Duration delay, Consumer<OperationRecord> record) {
    this.timer = timer;
    this.delay = delay;
    this.record = record;
  }

  /** {@code operation}, now in a new phase, is to be recorded if that phase lasts. */
  synchronized void show(OperationRecord operation) {
    if (closed) {
      return;
    }
    if (pending != null) {
      pending.cancel(false);
    }
    long mine = ++shown;
    pending = timer.schedule(() -> write(operation, mine), delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  private synchronized void write(OperationRecord operation, long which) {
    if (closed || which != shown) {
      return;
    }
    pending = null;
    try {
      record.accept(operation);
    } catch (RuntimeException e) {
      log.debug("progress of operation {} not recorded: {}", operation.id(), e.toString());
    }
  }

  /** No phase is written from now on; waits for one being written. */
  @Override
  public synchronized void close() {
    closed = true;
    if (pending != null) {
      pending.cancel(false);
      pending = null;
    }
  }
}
