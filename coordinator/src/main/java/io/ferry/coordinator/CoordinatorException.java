package io.ferry.coordinator;

import java.util.Optional;

/**
 * Why the coordinator refused or failed a request, in words for the admin, with a kind the API
 * maps to a gRPC status (only in {@code api}).
 */
public final class CoordinatorException extends RuntimeException {

  /** The kinds of failure, each with one gRPC status. */
  public enum Kind {
    INVALID_ARGUMENT,
    NOT_FOUND,
    ALREADY_EXISTS,
    FAILED_PRECONDITION,
    RESOURCE_EXHAUSTED,
    /** Another operation holds the container: try again later (ABORTED). */
    CONFLICT,
    /** This coordinator cannot serve it now (no ZooKeeper, not the leader): UNAVAILABLE. */
    UNAVAILABLE,
    DEADLINE_EXCEEDED,
    INTERNAL
  }

  private final Kind kind;
  private final String leaderAddress;

  public CoordinatorException(Kind kind, String message) {
    this(kind, message, null, null);
  }

  public CoordinatorException(Kind kind, String message, Throwable cause) {
    this(kind, message, null, cause);
  }

  private CoordinatorException(Kind kind, String message, String leaderAddress, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.leaderAddress = leaderAddress;
  }

  /**
   * This coordinator is not the leader and did not forward the call. The message reads {@code not
   * the leader; leader is ADDRESS} (or {@code ...; no leader elected}) so clients can retry there.
   */
  public static CoordinatorException notLeader(Optional<String> leaderAddress) {
    String message = leaderAddress.map(a -> "not the leader; leader is " + a).orElse("not the leader; no leader elected yet");
    return new CoordinatorException(Kind.UNAVAILABLE, message, leaderAddress.orElse(null), null);
  }

  public Kind kind() {
    return kind;
  }

  /** The leader's API address, for a not-leader refusal. */
  public Optional<String> leaderAddress() {
    return Optional.ofNullable(leaderAddress);
  }
}
