package io.ferry.migration.transfer;

import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationException.Kind;
import io.grpc.Status;

/** A failed call to the peer agent, as a {@link MigrationException} with the peer's words. */
public final class GrpcFailures {

  private GrpcFailures() {}

  public static MigrationException from(Throwable error, String what) {
    if (error instanceof MigrationException m) {
      return m;
    }
    Status status = Status.fromThrowable(error);
    Kind kind = switch (status.getCode()) {
      case INVALID_ARGUMENT -> Kind.INVALID_ARGUMENT;
      case NOT_FOUND -> Kind.NOT_FOUND;
      case ALREADY_EXISTS -> Kind.ALREADY_EXISTS;
      case FAILED_PRECONDITION -> Kind.FAILED_PRECONDITION;
      case PERMISSION_DENIED, UNAUTHENTICATED -> Kind.PERMISSION_DENIED;
      case RESOURCE_EXHAUSTED -> Kind.RESOURCE_EXHAUSTED;
      case UNAVAILABLE -> Kind.UNAVAILABLE;
      case DEADLINE_EXCEEDED -> Kind.TIMEOUT;
      case CANCELLED, ABORTED -> Kind.ABORTED;
      case DATA_LOSS -> Kind.DATA_LOSS;
      default -> Kind.INTERNAL;
    };
    String description = status.getDescription() == null ? status.getCode().name() : status.getCode() + ": " + status.getDescription();
    return new MigrationException(kind, what + ": " + description, error);
  }
}
