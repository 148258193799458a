package io.ferry.migration.protocol;

/**
 * Where one agent's side of a migration stands. The same names as {@code
 * ferry.v1.MigrationPhase}; which phase may follow which depends on the {@link Role} ({@link
 * Transitions}).
 */
public enum Phase {
  PREPARED,
  SYNCING_ROOTFS,
  STOPPING,
  FREEZING,
  DUMPING,
  TRANSFERRING_MEMORY,
  SYNCING_DELTA,
  RESTORING,
  /** The target runs the container; the source's copy is stopped or frozen, link down. */
  AWAITING_COMMIT,
  COMMITTED,
  ROLLING_BACK,
  /** The container runs on the source again; the target holds nothing. */
  ABORTED,
  /** Source only: the target was asked to restore and never answered. */
  IN_DOUBT;

  /** Nothing follows: the journal is deleted and only the outcome is remembered. */
  public boolean terminal() {
    return this == COMMITTED || this == ABORTED;
  }
}
