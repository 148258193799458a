package io.ferry.migration.protocol;

import java.time.Duration;
import java.util.Objects;

/**
 * How an agent runs migrations; validated once at start ({@code migration.*} keys of the agent).
 *
 * @param timeout the longest one migration's transfer may take, start to AWAITING_COMMIT; past it
 *     the source rolls back
 * @param rpcTimeout the deadline of each short call to the peer agent (prepare, restore, status,
 *     abort); a restore gets this plus the container command timeout
 * @param maxIncomingBytes the most one received stream may carry (the target also keeps {@code
 *     diskReserveBytes} free)
 * @param diskReserveBytes free space a target keeps on its state disk while receiving
 * @param resolveInterval how often a source asks the target about migrations it cannot settle
 *     alone (IN_DOUBT, AWAITING_COMMIT)
 * @param fault a failure to inject, for tests only ({@link FaultPoint#NONE} in production)
 * @param streamPagesAbove live mode sends the memory pages while CRIU dumps them (through a
 *     tunnel to a page server on the target) instead of after, as files, for containers using at
 *     least this many bytes of memory: streaming avoids writing and reading the pages twice and
 *     overlaps dump and transfer (about 2.5x less downtime at 100 MB here), but its fixed cost
 *     (a page server, a relayed connection) makes small dumps slower (about 0.4 s more here)
 */
public record MigrationSettings(
    Duration timeout,
    Duration rpcTimeout,
    long maxIncomingBytes,
    long diskReserveBytes,
    Duration resolveInterval,
    FaultPoint fault,
    long streamPagesAbove) {

  public static final MigrationSettings DEFAULTS =
      new MigrationSettings(Duration.ofMinutes(30), Duration.ofSeconds(30), 256L << 30, 512L << 20, Duration.ofSeconds(10),
          FaultPoint.NONE, 32L << 20);

  public MigrationSettings {
    Objects.requireNonNull(fault, "fault");
    if (timeout.isNegative() || timeout.isZero() || rpcTimeout.isNegative() || rpcTimeout.isZero()
        || resolveInterval.isNegative() || resolveInterval.isZero()) {
      throw new IllegalArgumentException("migration durations must be positive");
    }
    if (maxIncomingBytes <= 0 || diskReserveBytes < 0) {
      throw new IllegalArgumentException("migration sizes must be positive");
    }
  }

  /**
   * Failures tests can make an agent commit on purpose, so that every rollback path runs against
   * real runc and CRIU. Never set outside tests.
   */
  public enum FaultPoint {
    NONE,
    /** The target fails RestoreIncoming after it set the container up (before it runs). */
    TARGET_RESTORE,
    /** The target breaks every ReceiveFiles stream at its first chunk of data. */
    TARGET_RECEIVE_BREAK,
    /**
     * The target stops reading a stream of CRIU images at its first chunk (the source is then
     * frozen): it stalls until the migration is aborted or the agent killed.
     */
    TARGET_RECEIVE_STALL,
    /** The source's CRIU dump fails (live modes). */
    SOURCE_DUMP,
    /**
     * The target agent's process dies right after its restore succeeded, before it confirmed it
     * (journal or answer): the source is left in doubt with a copy running on the target.
     */
    TARGET_CRASH_AFTER_RESTORE
  }
}
