package io.ferry.migration.protocol;

/**
 * Every failure of a migration, on either side. {@link #kind()} says what a caller can do about it
 * and maps to one gRPC status in the agent's API layer (and only there); the message names the
 * migration, the container and the cause (with the words of runc, CRIU or tar when one failed).
 */
public class MigrationException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** What went wrong, in terms a caller can act on. */
  public enum Kind {
    /** The request is malformed: INVALID_ARGUMENT. */
    INVALID_ARGUMENT,
    /** No such migration or container: NOT_FOUND. */
    NOT_FOUND,
    /** Another migration or container holds the name: ALREADY_EXISTS. */
    ALREADY_EXISTS,
    /** Valid, but not now or not here (mode unsupported, wrong phase): FAILED_PRECONDITION. */
    FAILED_PRECONDITION,
    /** Wrong or missing token, or a peer that is not the migration's: PERMISSION_DENIED. */
    PERMISSION_DENIED,
    /** A size limit or the disk: RESOURCE_EXHAUSTED. */
    RESOURCE_EXHAUSTED,
    /** The peer agent cannot be reached or answered nothing: UNAVAILABLE. */
    UNAVAILABLE,
    /** Cancelled by the caller or by a concurrent abort: ABORTED. */
    ABORTED,
    /** A deadline passed: DEADLINE_EXCEEDED. */
    TIMEOUT,
    /** Received bytes differ from what was sent: DATA_LOSS. */
    DATA_LOSS,
    /** A tool or the host failed: INTERNAL. */
    INTERNAL
  }

  private final Kind kind;

  public MigrationException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public MigrationException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  public static MigrationException precondition(String message) {
    return new MigrationException(Kind.FAILED_PRECONDITION, message);
  }

  public static MigrationException notFound(String message) {
    return new MigrationException(Kind.NOT_FOUND, message);
  }

  public static MigrationException internal(String message, Throwable cause) {
    return new MigrationException(Kind.INTERNAL, message, cause);
  }
}
