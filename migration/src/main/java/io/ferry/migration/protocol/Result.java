package io.ferry.migration.protocol;

/**
 * What a finished transfer measured (the source's figures).
 *
 * @param modeUsed the mode that moved the container
 * @param fallbackReason why it is not the mode asked for; empty when it is
 * @param totalMillis from the start of MigrateOut to AWAITING_COMMIT
 * @param frozenMillis from freeze (or stop) on the source to resume (or start) on the target
 * @param rootfsBytes bytes of the writable layer sent, every pass
 * @param memoryBytes bytes of CRIU images and pages sent
 */
public record Result(
    Mode modeUsed, String fallbackReason, long totalMillis, long frozenMillis, long rootfsBytes, long memoryBytes) {

  public Result {
    fallbackReason = fallbackReason == null ? "" : fallbackReason;
  }
}
