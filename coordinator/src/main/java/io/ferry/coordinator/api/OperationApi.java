package io.ferry.coordinator.api;

import io.ferry.coordinator.CoordinatorException;
import io.ferry.coordinator.CoordinatorException.Kind;
import io.ferry.coordinator.operations.ContainerOperations;
import io.ferry.coordinator.store.ClusterStore;
import io.ferry.coordinator.store.OperationRecord;
import io.ferry.coordinator.store.StoreListener;
import io.ferry.proto.v1.GetOperationRequest;
import io.ferry.proto.v1.ListOperationsRequest;
import io.ferry.proto.v1.ListOperationsResponse;
import io.ferry.proto.v1.Operation;
import io.ferry.proto.v1.OperationServiceGrpc;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code ferry.v1.OperationService}. Any coordinator reports and streams operations from its
 * mirror of the store (the leader writes them); cancelling goes to the leader.
 */
final class OperationApi extends OperationServiceGrpc.OperationServiceImplBase {

  private final ClusterStore store;
  private final LeaderGate gate;
  private final ContainerOperations operations;

  OperationApi(ClusterStore store, LeaderGate gate, ContainerOperations operations) {
    this.store = store;
    this.gate = gate;
    this.operations = operations;
  }

  @Override
  public void getOperation(GetOperationRequest request, StreamObserver<Operation> response) {
    ApiErrors.unary(response, () -> ApiMapper.operation(existing(request.getId())));
  }

  @Override
  public void listOperations(ListOperationsRequest request, StreamObserver<ListOperationsResponse> response) {
    ApiErrors.unary(
        response,
        () -> {
          ListOperationsResponse.Builder out = ListOperationsResponse.newBuilder();
          store.operations().stream()
              .filter(op -> !request.getRunningOnly() || !op.state().isFinal())
              .sorted(Comparator.comparing(OperationRecord::id).reversed())
              .forEach(op -> out.addOperations(ApiMapper.operation(op)));
          return out.build();
        });
  }

  @Override
  public void cancelOperation(GetOperationRequest request, StreamObserver<Operation> response) {
    gate.write(
        response,
        () -> ApiMapper.operation(operations.cancel(request.getId())),
        channel -> OperationServiceGrpc.newBlockingStub(channel).cancelOperation(request));
  }

  /**
   * Sends the operation as it is, then each change, and completes after its final state. The
   * listener is registered before the first read, so no change between the two is missed.
   */
  @Override
  public void watchOperation(GetOperationRequest request, StreamObserver<Operation> response) {
    ServerCallStreamObserver<Operation> call = (ServerCallStreamObserver<Operation>) response;
    AtomicBoolean done = new AtomicBoolean();
    String id = request.getId();
    StoreListener listener =
        new StoreListener() {
          @Override
          public void operationChanged(String changed, OperationRecord before, OperationRecord after) {
            if (changed.equals(id) && after != null && send(call, done, after)) {
              store.removeListener(this);
            }
          }
        };
    call.setOnCancelHandler(() -> {
      done.set(true);
      store.removeListener(listener);
    });
    store.addListener(listener);
    try {
      if (send(call, done, existing(id))) {
        store.removeListener(listener);
      }
    } catch (RuntimeException e) {
      store.removeListener(listener);
      if (done.compareAndSet(false, true)) {
        call.onError(ApiErrors.toStatus(e));
      }
    }
  }

  /** Sends one state; true once the stream is over (final state sent, or cancelled). */
  private boolean send(ServerCallStreamObserver<Operation> call, AtomicBoolean done, OperationRecord op) {
    synchronized (call) {
      if (done.get()) {
        return true;
      }
      call.onNext(ApiMapper.operation(op));
      if (op.state().isFinal()) {
        done.set(true);
        call.onCompleted();
        return true;
      }
      return false;
    }
  }

  private OperationRecord existing(String id) {
    io.ferry.common.Names.require("operation id", id);
    return store.operationNow(id).orElseThrow(() -> new CoordinatorException(Kind.NOT_FOUND, "no operation " + id));
  }
}
