package io.ferry.agent;

/**
 * Every failure the agent reports to its callers. {@link #kind()} says what went wrong in terms a
 * caller can act on; the {@code api} package maps it to the standard gRPC status (and only there).
 * The message is for people: it names the container, image or value concerned and the reason, and
 * carries the words of the external tool (runc, CRIU) that failed, when one did.
 */
public class AgentException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** What kind of failure; each maps to one gRPC status code. */
  public enum Kind {
    /** The request itself is wrong (bad name, negative limit, unknown key): INVALID_ARGUMENT. */
    INVALID_ARGUMENT,
    /** The named container, image or snapshot does not exist: NOT_FOUND. */
    NOT_FOUND,
    /** Something with that name already exists: ALREADY_EXISTS. */
    ALREADY_EXISTS,
    /** The request is valid but not in the current state (stop a stopped container): FAILED_PRECONDITION. */
    FAILED_PRECONDITION,
    /** Another operation on the same container is in progress: ABORTED. */
    CONFLICT,
    /** A size, count or capacity limit was hit: RESOURCE_EXHAUSTED. */
    RESOURCE_EXHAUSTED,
    /** runc, CRIU or the kernel failed where it should not have: INTERNAL. */
    INTERNAL,
    /** A deadline passed: DEADLINE_EXCEEDED. */
    TIMEOUT
  }

  private final Kind kind;

  public AgentException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public AgentException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  public static AgentException invalid(String message) {
    return new AgentException(Kind.INVALID_ARGUMENT, message);
  }

  public static AgentException notFound(String message) {
    return new AgentException(Kind.NOT_FOUND, message);
  }

  public static AgentException precondition(String message) {
    return new AgentException(Kind.FAILED_PRECONDITION, message);
  }

  public static AgentException internal(String message, Throwable cause) {
    return new AgentException(Kind.INTERNAL, message, cause);
  }
}
