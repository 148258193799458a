package io.ferry.cli.client;

import io.ferry.proto.v1.GetOperationRequest;
import io.ferry.proto.v1.Operation;
import io.ferry.proto.v1.OperationServiceGrpc;
import io.ferry.proto.v1.OperationState;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Follows a long operation (launch, start, stop, ...) to its end with
 * {@code OperationService.WatchOperation}.
 *
 * <p>Failure modes: a coordinator that dies mid-watch is left for the next one (operations are
 * persisted, so any coordinator can report them); a watch that ends without a final state is
 * checked with {@code GetOperation} and resumed, at most {@value #MAX_EARLY_ENDS} times in a row;
 * when {@code waitTimeout} passes first, the call fails with DEADLINE_EXCEEDED naming the
 * operation, which keeps running on the cluster.
 */
public final class OperationFollower {

  static final int MAX_EARLY_ENDS = 3;

  private final CoordinatorClient client;
  private final Duration waitTimeout;
  private final Clock clock;

  public OperationFollower(CoordinatorClient client, Duration waitTimeout, Clock clock) {
    this.client = client;
    this.waitTimeout = waitTimeout;
    this.clock = clock;
  }

  public static boolean isFinal(Operation operation) {
    return operation.getState() == OperationState.OPERATION_STATE_SUCCEEDED
        || operation.getState() == OperationState.OPERATION_STATE_FAILED
        || operation.getState() == OperationState.OPERATION_STATE_CANCELLED;
  }

  /**
   * Returns the operation in its final state; {@code onUpdate} sees every state received on the
   * way (on the calling thread), the final one included. An operation already final is returned
   * as it is.
   */
  public Operation follow(Operation started, Consumer<Operation> onUpdate) throws Exception {
    if (isFinal(started)) {
      return started;
    }
    if (started.getId().isEmpty()) {
      throw Status.INTERNAL.withDescription("the coordinator returned a running operation without an id").asRuntimeException();
    }
    Instant deadline = clock.instant().plus(waitTimeout);
    GetOperationRequest request = GetOperationRequest.newBuilder().setId(started.getId()).build();
    Operation last = started;
    try {
      for (int earlyEnds = 0; ; earlyEnds++) {
        Operation watched = client.call((channel, address) -> watch(channel, request, deadline, onUpdate));
        last = watched == null ? last : watched;
        if (isFinal(last)) {
          return last;
        }
        last = client.operations(s -> s.getOperation(request));
        if (isFinal(last)) {
          onUpdate.accept(last);
          return last;
        }
        if (earlyEnds + 1 >= MAX_EARLY_ENDS) {
          throw Status.INTERNAL
              .withDescription("the coordinator keeps ending the watch of operation " + started.getId() + " before it ends")
              .asRuntimeException();
        }
      }
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED) {
        throw Status.DEADLINE_EXCEEDED
            .withDescription("operation " + started.getId() + " still " + phase(last) + " after " + waitTimeout.toSeconds()
                + " s; it goes on in the cluster: ferry operation watch " + started.getId())
            .asRuntimeException();
      }
      throw e;
    }
  }

  /** One watch stream; returns its last (ideally final) state, or null when it sent none. */
  private Operation watch(io.grpc.Channel channel, GetOperationRequest request, Instant deadline, Consumer<Operation> onUpdate) {
    long remaining = Duration.between(clock.instant(), deadline).toMillis();
    if (remaining <= 0) {
      throw Status.DEADLINE_EXCEEDED.asRuntimeException();
    }
    Iterator<Operation> updates = OperationServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(remaining, TimeUnit.MILLISECONDS)
        .watchOperation(request);
    Operation last = null;
    while (updates.hasNext()) {
      last = updates.next();
      onUpdate.accept(last);
      if (isFinal(last)) {
        return last;
      }
    }
    return last;
  }

  private static String phase(Operation operation) {
    return operation.getPhase().isEmpty() ? "running" : "running (" + operation.getPhase() + ")";
  }
}
