package io.ferry.agent.api;

import io.ferry.agent.AgentException;
import io.ferry.migration.protocol.MigrationException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place where agent errors become gRPC statuses. */
final class GrpcErrors {

  private static final Logger log = LoggerFactory.getLogger(GrpcErrors.class);

  private GrpcErrors() {}

  static StatusRuntimeException toStatus(Throwable error) {
    if (error instanceof StatusRuntimeException status) {
      return status;
    }
    if (error instanceof AgentException e) {
      return code(e.kind()).withDescription(e.getMessage()).asRuntimeException();
    }
    if (error instanceof MigrationException e) {
      return code(e.kind()).withDescription(e.getMessage()).asRuntimeException();
    }
    if (error instanceof IllegalArgumentException e) {
      return Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
    }
    log.error("unexpected failure", error);
    return Status.INTERNAL.withDescription(String.valueOf(error.getMessage())).withCause(error).asRuntimeException();
  }

  static Status code(AgentException.Kind kind) {
    switch (kind) {
      case INVALID_ARGUMENT:
        return Status.INVALID_ARGUMENT;
      case NOT_FOUND:
        return Status.NOT_FOUND;
      case ALREADY_EXISTS:
        return Status.ALREADY_EXISTS;
      case FAILED_PRECONDITION:
        return Status.FAILED_PRECONDITION;
      case CONFLICT:
        return Status.ABORTED;
      case RESOURCE_EXHAUSTED:
        return Status.RESOURCE_EXHAUSTED;
      case TIMEOUT:
        return Status.DEADLINE_EXCEEDED;
      case INTERNAL:
      default:
        return Status.INTERNAL;
    }
  }

  static Status code(MigrationException.Kind kind) {
    return switch (kind) {
      case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
      case NOT_FOUND -> Status.NOT_FOUND;
      case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
      case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
      case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
      case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
      case UNAVAILABLE -> Status.UNAVAILABLE;
      case ABORTED -> Status.ABORTED;
      case TIMEOUT -> Status.DEADLINE_EXCEEDED;
      case DATA_LOSS -> Status.DATA_LOSS;
      default -> Status.INTERNAL;
    };
  }

  /** Answers a unary call with {@code body}'s result, or its failure as a status. */
  static <T> void unary(StreamObserver<T> response, Supplier<T> body) {
    T result;
    try {
      result = body.get();
    } catch (RuntimeException e) {
      response.onError(toStatus(e));
      return;
    }
    response.onNext(result);
    response.onCompleted();
  }
}
