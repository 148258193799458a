package io.ferry.coordinator.api;

import io.ferry.coordinator.CoordinatorException;
import io.ferry.coordinator.store.ClusterStore;
import io.ferry.coordinator.store.StoreUnavailableException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place where coordinator errors become gRPC statuses. */
final class ApiErrors {

  private static final Logger log = LoggerFactory.getLogger(ApiErrors.class);

  private ApiErrors() {}

  static StatusRuntimeException toStatus(Throwable error) {
    if (error instanceof StatusRuntimeException status) {
      return status;
    }
    if (error instanceof CoordinatorException e) {
      return code(e.kind()).withDescription(e.getMessage()).asRuntimeException();
    }
    if (error instanceof IllegalArgumentException e) {
      return Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
    }
    if (error instanceof ClusterStore.ConflictException e) {
      return Status.ABORTED.withDescription(e.getMessage() + "; try again").asRuntimeException();
    }
    if (error instanceof StoreUnavailableException e) {
      return Status.UNAVAILABLE.withDescription("cluster state unavailable: " + e.getMessage()).asRuntimeException();
    }
    log.error("unexpected failure", error);
    return Status.INTERNAL.withDescription(String.valueOf(error.getMessage())).withCause(error).asRuntimeException();
  }

  static Status code(CoordinatorException.Kind kind) {
    return switch (kind) {
      case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
      case NOT_FOUND -> Status.NOT_FOUND;
      case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
      case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
      case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
      case CONFLICT -> Status.ABORTED;
      case UNAVAILABLE -> Status.UNAVAILABLE;
      case DEADLINE_EXCEEDED -> Status.DEADLINE_EXCEEDED;
      case INTERNAL -> Status.INTERNAL;
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
