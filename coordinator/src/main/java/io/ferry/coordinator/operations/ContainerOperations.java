package io.ferry.coordinator.operations;

import io.ferry.common.Names;
import io.ferry.coordinator.CoordinatorException;
import io.ferry.coordinator.CoordinatorException.Kind;
import io.ferry.coordinator.store.AddressSource;
import io.ferry.coordinator.store.ClusterStore;
import io.ferry.coordinator.store.ContainerRecord;
import io.ferry.coordinator.store.OperationRecord;
import io.ferry.coordinator.store.Reservations;
import io.ferry.coordinator.store.Versioned;
import io.ferry.coordinator.hosts.AgentClients;
import io.ferry.coordinator.placement.Resources;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.Limits;
import io.ferry.proto.v1.UpdateLimitsRequest;
import java.time.Clock;
import java.util.Map;

/**
 * Starts the long operations on existing containers (start, stop, restart, delete, copy) and
 * cancels them. Runs on the leader only: the API forwards to it. Each call records the operation
 * and the container's new desired state in one conditional write, then hands the operation to the
 * {@link OperationRunner}; a container has at most one operation at a time.
 *
 * <p>Failure modes: {@link CoordinatorException} NOT_FOUND (no such container or operation),
 * CONFLICT (another operation holds the container), FAILED_PRECONDITION (e.g. cancelling an ended
 * operation); StoreUnavailableException.
 */
public final class ContainerOperations {

  /** How many times a write that lost to a concurrent change of the same record is tried. */
  private static final int CONFLICT_ATTEMPTS = 5;

  private static final long MIN_MEMORY = 16L << 20;
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ContainerOperations.class);

  private final ClusterStore store;
  private final OperationRunner runner;
  private final Migrations migrations;
  private final AgentClients agents;
  private final Clock clock;
  private final AddressSource addresses;

  public ContainerOperations(
      ClusterStore store, OperationRunner runner, Migrations migrations, AgentClients agents, Clock clock, AddressSource addresses) {
    this.addresses = addresses;
    this.store = store;
    this.runner = runner;
    this.migrations = migrations;
    this.agents = agents;
    this.clock = clock;
  }

  /**
   * Changes a running container's limits live. The host reservation follows first (memory
   * reservation = memory limit, cpu reservation = quota / period), so a growth that does not fit
   * the host is refused with RESOURCE_EXHAUSTED before anything changes; then the agent applies
   * the limits; if it refuses, the reservation is put back.
   *
   * @param change the limits to set; unset fields stay as they are
   * @return the container as its host reports it after the change
   */
  public Container updateLimits(String name, Limits change) {
    Versioned<ContainerRecord> current = existing(name);
    requireIdle(current.value());
    ContainerSpec spec = ContainerWork.spec(current.value());
    Limits merged = spec.getLimits().toBuilder().mergeFrom(change).build();
    if (merged.hasMemoryBytes() && merged.getMemoryBytes() < MIN_MEMORY) {
      throw new CoordinatorException(Kind.INVALID_ARGUMENT, "memory limit " + merged.getMemoryBytes() + " bytes is below the minimum of 16MiB");
    }
    if (merged.hasCpuQuotaMicros() != merged.hasCpuPeriodMicros() || merged.hasCpuPeriodMicros() && merged.getCpuPeriodMicros() == 0) {
      throw new CoordinatorException(Kind.INVALID_ARGUMENT, "a cpu quota needs a non-zero period, and a period a quota");
    }
    Resources before = current.value().reserved();
    Resources need =
        new Resources(
            merged.hasCpuQuotaMicros() ? Math.max(1, merged.getCpuQuotaMicros() * 1000 / merged.getCpuPeriodMicros()) : before.cpuMillis(),
            merged.hasMemoryBytes() ? merged.getMemoryBytes() : before.memoryBytes(),
            before.diskBytes());
    ContainerRecord resized = current.value().withSpec(spec.toBuilder().setLimits(merged).build().toByteArray(), need, clock.millis());
    Reservations.Outcome outcome;
    try {
      outcome = store.resize(resized, current.version());
    } catch (ClusterStore.ConflictException e) {
      throw new CoordinatorException(Kind.CONFLICT, "container " + name + " changed meanwhile; try again");
    }
    if (outcome instanceof Reservations.Outcome.Insufficient insufficient) {
      throw new CoordinatorException(Kind.RESOURCE_EXHAUSTED, "the new limits of " + name + " do not fit: " + insufficient.reason());
    }
    try {
      return agents.blocking(resized.host()).updateLimits(UpdateLimitsRequest.newBuilder().setName(name).setLimits(change).build());
    } catch (RuntimeException refused) {
      try {
        store.container(name).ifPresent(v -> store.resize(v.value().withSpec(current.value().spec(), before, clock.millis()), v.version()));
      } catch (RuntimeException e) {
        log.error("could not give back the reservation of {} after its host refused new limits: {}", name, e.toString());
      }
      throw refused;
    }
  }

  /** Records and starts {@code kind} on container {@code name}, driving it towards {@code desired}. */
  public OperationRecord begin(OperationRecord.Kind kind, String name, ContainerRecord.Desired desired, Map<String, String> params) {
    // The leader's upkeep rewrites a record whenever its host reports a new state: a conflict with
    // that is not the caller's business, so the record is read again (and checked idle again).
    for (int attempt = 1; ; attempt++) {
      Versioned<ContainerRecord> current = existing(name);
      requireIdle(current.value());
      long now = clock.millis();
      OperationRecord operation = OperationRecord.started(OperationIds.next(clock), kind, name, "queued", params, now);
      try {
        store.startOperation(operation, current.value().withDesired(desired, operation.id(), now), current.version());
      } catch (ClusterStore.ConflictException e) {
        if (attempt < CONFLICT_ATTEMPTS) {
          continue;
        }
        throw new CoordinatorException(Kind.CONFLICT, "container " + name + " changed meanwhile; try again");
      }
      runner.submit(operation);
      return operation;
    }
  }

  /**
   * Copies stopped container {@code source} to {@code target} on the same host: reserves the same
   * resources there for the copy, gives it its own cluster address, records it, and runs the copy.
   */
  public OperationRecord copy(String source, String target) {
    Names.require("target container", target);
    ContainerRecord from = existing(source).value();
    requireIdle(from);
    if (store.container(target).isPresent()) {
      throw new CoordinatorException(Kind.ALREADY_EXISTS, "container " + target + " already exists");
    }
    long now = clock.millis();
    OperationRecord operation =
        OperationRecord.started(OperationIds.next(clock), OperationRecord.Kind.COPY, target, "placed on " + from.host(), Map.of("source", source), now);
    ContainerRecord copy =
        new ContainerRecord(
            target, from.host(), from.spec(), from.reserved(), from.requiredLabels(), "", ContainerRecord.Desired.STOPPED, new byte[0], operation.id(), now, now);
    Reservations.Outcome outcome = store.launch(copy, operation, addresses).outcome();
    if (outcome instanceof Reservations.Outcome.AlreadyPlaced) {
      throw new CoordinatorException(Kind.ALREADY_EXISTS, "container " + target + " already exists");
    }
    if (outcome instanceof Reservations.Outcome.Insufficient insufficient) {
      throw new CoordinatorException(Kind.RESOURCE_EXHAUSTED, "no room for the copy: " + insufficient.reason());
    }
    runner.submit(operation);
    return operation;
  }

  /**
   * Moves a container to another host (see {@link Migrations}): checked, reserved and prepared
   * here, so what cannot happen is refused at once; the transfer runs as an operation.
   */
  public OperationRecord migrate(io.ferry.proto.v1.MigrateRequest request) {
    for (int attempt = 1; ; attempt++) {
      String[] claimed = {null};
      OperationRecord operation;
      try {
        operation = migrations.begin(request, id -> {
          runner.claim(id);
          claimed[0] = id;
        });
      } catch (RuntimeException e) {
        if (claimed[0] != null) {
          runner.release(claimed[0]);
        }
        if (e instanceof ClusterStore.ConflictException) {
          // Lost the record to a concurrent rewrite (the leader recording a host's report) before
          // anything was written: read it again, as begin() does.
          if (attempt < CONFLICT_ATTEMPTS) {
            continue;
          }
          throw new CoordinatorException(Kind.CONFLICT, "container " + request.getName() + " changed meanwhile; try again");
        }
        throw e;
      }
      runner.submitClaimed(operation);
      return operation;
    }
  }

  /** Asks a running operation to stop at its next step. */
  public OperationRecord cancel(String id) {
    OperationRecord operation =
        store.operationNow(id).orElseThrow(() -> new CoordinatorException(Kind.NOT_FOUND, "no operation " + id));
    if (operation.state().isFinal()) {
      throw new CoordinatorException(Kind.FAILED_PRECONDITION, "operation " + id + " already ended " + operation.state().name().toLowerCase());
    }
    OperationRecord requested = operation.withCancelRequested(clock.millis());
    store.updateOperation(requested);
    return requested;
  }

  private Versioned<ContainerRecord> existing(String name) {
    return existing(store, name);
  }

  /** The container's record, read through to ZooKeeper; NOT_FOUND when the cluster has none. */
  static Versioned<ContainerRecord> existing(ClusterStore store, String name) {
    Names.require("container", name);
    return store.containerNow(name).orElseThrow(() -> new CoordinatorException(Kind.NOT_FOUND, "no container " + name + " in the cluster"));
  }

  private void requireIdle(ContainerRecord container) {
    requireIdle(store, container);
  }

  /** Refuses with CONFLICT when another operation still works on {@code container}. */
  static void requireIdle(ClusterStore store, ContainerRecord container) {
    if (container.operationId().isEmpty()) {
      return;
    }
    store
        .operation(container.operationId())
        .filter(op -> !op.state().isFinal())
        .ifPresent(
            op -> {
              throw new CoordinatorException(
                  Kind.CONFLICT, "container " + container.name() + " is busy with operation " + op.id() + " (" + op.kind().label() + ", " + op.phase() + ")");
            });
  }
}
