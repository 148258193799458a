package io.ferry.coordinator.it;

import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.MigrateOutRequest;
import io.ferry.proto.v1.MigrationMode;
import io.ferry.proto.v1.MigrationPhase;
import io.ferry.proto.v1.MigrationProgress;
import io.ferry.proto.v1.MigrationRef;
import io.ferry.proto.v1.MigrationResult;
import io.ferry.proto.v1.MigrationRole;
import io.ferry.proto.v1.MigrationServiceGrpc;
import io.ferry.proto.v1.MigrationStatus;
import io.ferry.proto.v1.PrepareIncomingRequest;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An agent's MigrationService with nothing behind it, for the coordinator's tests: "moving" a
 * container puts it in the target {@link FakeAgent}'s map (found by address among the agents of
 * the test) and freezes the source's entry, keeping each side's journal as the contract says.
 * Failures can be injected: the target refusing to prepare, the transfer failing (the source rolls
 * back as a real one does), or the transfer holding until released.
 */
final class FakeMigration extends MigrationServiceGrpc.MigrationServiceImplBase {

  /** Every fake agent of the running test, by gRPC address. */
  static final Map<String, FakeAgent> AGENTS = new ConcurrentHashMap<>();

  private final FakeAgent agent;
  final Map<String, MigrationStatus> journal = new ConcurrentHashMap<>();
  volatile String refusePrepare;
  volatile boolean failTransfer;
  /** When set, MigrateOut waits for it after its first progress message. */
  volatile CountDownLatch holdTransfer;

  FakeMigration(FakeAgent agent) {
    this.agent = agent;
  }

  @Override
  public void prepareIncoming(PrepareIncomingRequest request, StreamObserver<MigrationStatus> response) {
    if (refusePrepare != null) {
      response.onError(Status.FAILED_PRECONDITION.withDescription(refusePrepare).asRuntimeException());
      return;
    }
    String name = request.getSpec().getName();
    if (agent.containers.containsKey(name)) {
      response.onError(Status.ALREADY_EXISTS.withDescription("container " + name + " exists here").asRuntimeException());
      return;
    }
    MigrationStatus status = status(request.getMigrationId(), MigrationRole.MIGRATION_ROLE_TARGET, MigrationPhase.MIGRATION_PHASE_PREPARED, name);
    journal.putIfAbsent(request.getMigrationId(), status);
    reply(response, journal.get(request.getMigrationId()));
  }

  @Override
  public void migrateOut(MigrateOutRequest request, StreamObserver<MigrationProgress> response) {
    String id = request.getMigrationId();
    Container source = agent.containers.get(request.getName());
    FakeAgent target = AGENTS.get(request.getTargetAddress());
    if (source == null || target == null) {
      response.onError(Status.NOT_FOUND.withDescription("no container " + request.getName() + " or no target").asRuntimeException());
      return;
    }
    journal.put(id, status(id, MigrationRole.MIGRATION_ROLE_SOURCE, MigrationPhase.MIGRATION_PHASE_SYNCING_ROOTFS, request.getName()));
    response.onNext(progress(id, MigrationPhase.MIGRATION_PHASE_SYNCING_ROOTFS).setBytesSent(1 << 20).setBytesTotal(4 << 20).build());
    CountDownLatch hold = holdTransfer;
    if (hold != null) {
      try {
        hold.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    boolean cancelled = ((ServerCallStreamObserver<MigrationProgress>) response).isCancelled();
    if (failTransfer || cancelled) {
      // Roll back as a real source does: the target discards, the source resumes.
      target.containers.remove(request.getName());
      target.migration.journal.computeIfPresent(id, (k, s) -> s.toBuilder().setPhase(MigrationPhase.MIGRATION_PHASE_ABORTED).build());
      journal.put(id, status(id, MigrationRole.MIGRATION_ROLE_SOURCE, MigrationPhase.MIGRATION_PHASE_ABORTED, request.getName()).toBuilder()
          .setDetail(cancelled ? "the coordinator went away" : "injected transfer failure").build());
      if (!cancelled) {
        response.onError(Status.INTERNAL.withDescription("injected transfer failure").asRuntimeException());
      }
      return;
    }
    target.containers.put(request.getName(), source.toBuilder().setState(ContainerState.CONTAINER_STATE_RUNNING).build());
    agent.containers.put(request.getName(), source.toBuilder().setState(ContainerState.CONTAINER_STATE_FROZEN).build());
    MigrationResult result = MigrationResult.newBuilder()
        .setModeUsed(request.getMode() == MigrationMode.MIGRATION_MODE_AUTO ? MigrationMode.MIGRATION_MODE_LIVE : request.getMode())
        .setTotalMillis(120).setFrozenMillis(40).setRootfsBytes(4 << 20).setMemoryBytes(8 << 20).build();
    target.migration.journal.computeIfPresent(id, (k, s) -> s.toBuilder().setPhase(MigrationPhase.MIGRATION_PHASE_AWAITING_COMMIT).setResult(result).build());
    journal.put(id, status(id, MigrationRole.MIGRATION_ROLE_SOURCE, MigrationPhase.MIGRATION_PHASE_AWAITING_COMMIT, request.getName()).toBuilder().setResult(result).build());
    response.onNext(progress(id, MigrationPhase.MIGRATION_PHASE_AWAITING_COMMIT).setResult(result).build());
    response.onCompleted();
  }

  @Override
  public void getMigration(MigrationRef request, StreamObserver<MigrationStatus> response) {
    MigrationStatus status = journal.get(request.getMigrationId());
    if (status == null) {
      response.onError(Status.NOT_FOUND.withDescription("no migration " + request.getMigrationId()).asRuntimeException());
      return;
    }
    reply(response, status);
  }

  @Override
  public void commitMigration(MigrationRef request, StreamObserver<MigrationStatus> response) {
    MigrationStatus status = journal.get(request.getMigrationId());
    if (status == null) {
      reply(response, MigrationStatus.newBuilder().setMigrationId(request.getMigrationId()).setPhase(MigrationPhase.MIGRATION_PHASE_COMMITTED).build());
      return;
    }
    if (status.getRole() == MigrationRole.MIGRATION_ROLE_SOURCE) {
      agent.containers.remove(status.getContainer());
    }
    journal.remove(request.getMigrationId());
    reply(response, status.toBuilder().setPhase(MigrationPhase.MIGRATION_PHASE_COMMITTED).build());
  }

  @Override
  public void abortMigration(MigrationRef request, StreamObserver<MigrationStatus> response) {
    MigrationStatus status = journal.get(request.getMigrationId());
    if (status == null) {
      response.onError(Status.NOT_FOUND.withDescription("no migration " + request.getMigrationId()).asRuntimeException());
      return;
    }
    if (status.getRole() == MigrationRole.MIGRATION_ROLE_TARGET) {
      agent.containers.remove(status.getContainer());
    } else {
      agent.containers.computeIfPresent(status.getContainer(), (n, c) -> c.toBuilder().setState(ContainerState.CONTAINER_STATE_RUNNING).build());
    }
    MigrationStatus aborted = status.toBuilder().setPhase(MigrationPhase.MIGRATION_PHASE_ABORTED).build();
    journal.put(request.getMigrationId(), aborted);
    reply(response, aborted);
  }

  private static MigrationStatus status(String id, MigrationRole role, MigrationPhase phase, String container) {
    return MigrationStatus.newBuilder().setMigrationId(id).setRole(role).setPhase(phase).setContainer(container).build();
  }

  private static MigrationProgress.Builder progress(String id, MigrationPhase phase) {
    return MigrationProgress.newBuilder().setMigrationId(id).setPhase(phase);
  }

  private static <T> void reply(StreamObserver<T> response, T value) {
    response.onNext(value);
    response.onCompleted();
  }
}
