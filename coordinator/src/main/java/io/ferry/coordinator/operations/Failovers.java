package io.ferry.coordinator.operations;

import io.ferry.coordinator.hosts.AgentClients;
import io.ferry.coordinator.store.ClusterStore;
import io.ferry.coordinator.store.ContainerRecord;
import io.ferry.coordinator.store.OperationRecord;
import io.ferry.coordinator.store.Reservations;
import io.ferry.coordinator.store.Versioned;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.NetworkInfo;
import io.ferry.proto.v1.PromoteReplicaRequest;
import io.ferry.proto.v1.StartContainerRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restarts a high-availability container on its standby host from the latest replica, after its
 * host died (operation kind FAILOVER, target the container, run by the {@link OperationRunner} so
 * a new leader resumes it).
 *
 * <p>Steps, each safe to repeat: reserve room on the standby (as a migration's incoming
 * reservation: refused when the standby is full, which fails the failover with that reason); name
 * the operation on the container's record;
 * {@code PromoteReplica} there (the container from the last complete pass, with its cluster
 * address; ALREADY_EXISTS when a previous attempt got that far); start it; then, in one write,
 * place the container on the standby, give the dead host's reservation back and end the operation
 * ({@link ClusterStore#commitMove}). The host it left becomes its standby on paper until the
 * replication picks a live one ({@code HaReplication}).
 *
 * <p>Never two copies: a failover is begun only once the dead host's session expired, and a host
 * cut off kills its HA containers before that ({@code SessionFence} on the agent). A copy left on
 * the dead host when it returns is deleted by the leader's upkeep ({@code LeaderDuties}).
 */
final class Failovers {

  private static final Logger log = LoggerFactory.getLogger(Failovers.class);

  static final String FROM = "from";
  static final String TO = "to";

  private final ClusterStore store;
  private final AgentClients agents;
  private final Clock clock;

  Failovers(ClusterStore store, AgentClients agents, Clock clock) {
    this.store = store;
    this.agents = agents;
    this.clock = clock;
  }

  /** A new failover operation of {@code record} from its host to its standby (not yet recorded). */
  OperationRecord plan(ContainerRecord record) {
    String standby = record.haState().orElseThrow().standbyHost();
    return OperationRecord.started(OperationIds.next(clock), OperationRecord.Kind.FAILOVER, record.name(),
        "restarting on " + standby + " from its replica", Map.of(FROM, record.host(), TO, standby), clock.millis());
  }

  /** Runs (or resumes) {@code op} to its end. */
  void execute(OperationRecord op, Runnable requireLeader) {
    String name = op.target();
    String from = op.param(FROM);
    String to = op.param(TO);
    Optional<Versioned<ContainerRecord>> found = store.container(name);
    if (found.isEmpty()) {
      store.updateOperation(op.failed("NOT_FOUND: container " + name + " is not in the cluster", clock.millis()));
      return;
    }
    ContainerRecord record = found.get().value();
    if (record.host().equals(to)) {
      store.updateOperation(op.succeeded(clock.millis())); // committed before a leader change
      return;
    }
    requireLeader.run();
    Reservations.Outcome room = store.reserveIncoming(record, to, op.inPhase("reserving room on " + to, 10, clock.millis()));
    if (room instanceof Reservations.Outcome.Insufficient insufficient) {
      fail(op, "RESOURCE_EXHAUSTED: standby " + to + " has no room for " + name + ": " + insufficient.reason());
      return;
    }
    try {
      requireLeader.run();
      claim(name, op.id());
      NetworkInfo network = ContainerWork.network(record);
      try {
        agents.migration(to, agents.callTimeout()).promoteReplica(PromoteReplicaRequest.newBuilder().setName(name).setNetwork(network).build());
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.ALREADY_EXISTS) {
          throw e;
        }
      }
      Container started = agents.blocking(to).startContainer(StartContainerRequest.newBuilder().setName(name).build());
      requireLeader.run();
      store.commitMove(name, to, op.succeeded(clock.millis()), Optional.of(started.toBuilder().clearUsage().build().toByteArray()), clock.millis());
      countFailover(name, to);
      log.warn("failover of {}: restarted on {} from its replica (host {} is gone)", name, to, from);
    } catch (StatusRuntimeException e) {
      store.abortMove(name, op.failed(e.getStatus().getCode() + ": failover of " + name + " to " + to + ": " + e.getStatus().getDescription(),
          clock.millis()), clock.millis());
      log.error("failover of {} to {} failed: {}", name, to, e.getStatus());
    }
  }

  /**
   * Names {@code opId} on the container's record before it exists on the standby: the upkeep
   * then leaves the promoted copy alone (it deletes copies of HA containers found on a host their
   * record does not name, and no operation works on) and other operations wait.
   */
  private void claim(String name, String opId) {
    for (int attempt = 0; attempt < 5; attempt++) {
      Versioned<ContainerRecord> current = store.container(name)
          .orElseThrow(() -> Status.NOT_FOUND.withDescription("container " + name + " is gone").asRuntimeException());
      if (current.value().operationId().equals(opId)) {
        return;
      }
      try {
        store.updateContainer(current.value().withOperation(opId, clock.millis()), current.version());
        return;
      } catch (ClusterStore.ConflictException e) {
        // Its observed state changed meanwhile: read it again.
      }
    }
    throw Status.ABORTED.withDescription("the record of " + name + " kept changing").asRuntimeException();
  }

  private void fail(OperationRecord op, String error) {
    store.abortMove(op.target(), op.failed(error, clock.millis()), clock.millis());
    log.error("failover of {} failed: {}", op.target(), error);
  }

  /** Counts the failover on the container's record (a lost count is logged, not retried for ever). */
  private void countFailover(String name, String now) {
    for (int attempt = 0; attempt < 3; attempt++) {
      Optional<Versioned<ContainerRecord>> current = store.container(name);
      if (current.isEmpty() || current.get().value().haState().isEmpty() || !current.get().value().host().equals(now)) {
        return;
      }
      ContainerRecord record = current.get().value();
      ContainerRecord.HaState ha = record.haState().get();
      ContainerRecord.HaState counted =
          new ContainerRecord.HaState(ha.standbyHost(), ha.token(), ha.replicaAtMillis(), ha.replicaBytes(), ha.failovers() + 1, clock.millis());
      try {
        store.updateContainer(record.withHa(counted, clock.millis()), current.get().version());
        return;
      } catch (ClusterStore.ConflictException e) {
        // Changed meanwhile: read again.
      }
    }
    log.warn("failover of {} not counted: its record kept changing", name);
  }
}
