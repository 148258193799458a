package io.ferry.coordinator.api;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import io.ferry.common.cluster.HostRegistration;
import io.ferry.coordinator.hosts.HostDirectory.HostView;
import io.ferry.coordinator.network.NetworkInfos;
import io.ferry.coordinator.operations.Migrations;
import io.ferry.coordinator.placement.HostStatus;
import io.ferry.coordinator.placement.HostVerdict;
import io.ferry.coordinator.store.ContainerRecord;
import io.ferry.coordinator.store.OperationRecord;
import io.ferry.proto.v1.ClusterContainer;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.HaStatus;
import io.ferry.proto.v1.Host;
import io.ferry.proto.v1.HostState;
import io.ferry.proto.v1.NetworkInfo;
import io.ferry.proto.v1.Operation;
import io.ferry.proto.v1.OperationState;

/** Domain records to {@code ferry.v1} messages. Stateless. */
final class ApiMapper {

  private ApiMapper() {}

  static ClusterContainer container(ContainerRecord record) {
    Container observed;
    try {
      observed = record.observed().length == 0 ? null : Container.parseFrom(record.observed());
    } catch (InvalidProtocolBufferException e) {
      observed = null;
    }
    if (observed == null) {
      ContainerSpec spec;
      try {
        spec = ContainerSpec.parseFrom(record.spec());
      } catch (InvalidProtocolBufferException e) {
        spec = ContainerSpec.newBuilder().setName(record.name()).build();
      }
      observed = Container.newBuilder().setSpec(spec).setState(ContainerState.CONTAINER_STATE_UNSPECIFIED).setDetail("not yet reported by its host").build();
    }
    NetworkInfo network = record.clusterAddress().map(NetworkInfos::of).orElse(null);
    if (network != null && observed.getNetwork().getAddress().isEmpty()) {
      observed = observed.toBuilder().setNetwork(network).build(); // what it will have before its host reports it
    }
    ClusterContainer.Builder out = ClusterContainer.newBuilder();
    if (network != null) {
      out.setNetwork(network);
    }
    record.haState().ifPresent(ha -> out.setHa(haStatus(ha, System.currentTimeMillis())));
    return out
        .setContainer(observed)
        .setHost(record.host())
        .setDesiredState(desired(record.desired(), observed.getState()))
        .setCpuMillis(record.reserved().cpuMillis())
        .setDiskBytes(record.reserved().diskBytes())
        .putAllRequiredLabels(record.requiredLabels())
        .setAntiAffinityGroup(record.antiAffinityGroup())
        .setOperationId(record.operationId())
        .build();
  }

  /**
   * A high-availability container's standby and replica freshness, its age as of {@code nowMillis}
   * (-1 before the first replica).
   */
  static HaStatus haStatus(ContainerRecord.HaState ha, long nowMillis) {
    HaStatus.Builder out = HaStatus.newBuilder()
        .setStandbyHost(ha.standbyHost())
        .setReplicaAgeSeconds(ha.replicaAtMillis() == 0 ? -1 : Math.max(0, (nowMillis - ha.replicaAtMillis()) / 1000))
        .setReplicaBytes(ha.replicaBytes())
        .setFailovers(ha.failovers());
    if (ha.replicaAtMillis() > 0) {
      out.setReplicaAt(timestampOfMillis(ha.replicaAtMillis()));
    }
    if (ha.lastFailoverAtMillis() > 0) {
      out.setLastFailoverAt(timestampOfMillis(ha.lastFailoverAtMillis()));
    }
    return out.build();
  }

  private static Timestamp timestampOfMillis(long millis) {
    return Timestamp.newBuilder().setSeconds(millis / 1000).setNanos((int) (millis % 1000) * 1_000_000).build();
  }

  static ContainerState observedState(ContainerRecord record) {
    try {
      return record.observed().length == 0 ? ContainerState.CONTAINER_STATE_UNSPECIFIED : Container.parseFrom(record.observed()).getState();
    } catch (InvalidProtocolBufferException e) {
      return ContainerState.CONTAINER_STATE_UNSPECIFIED;
    }
  }

  /** The desired state in the API's terms; a stateful stop's checkpoint is a stopped container. */
  private static ContainerState desired(ContainerRecord.Desired desired, ContainerState observed) {
    return switch (desired) {
      case RUNNING -> ContainerState.CONTAINER_STATE_RUNNING;
      case STOPPED, DELETED ->
          observed == ContainerState.CONTAINER_STATE_CHECKPOINTED ? ContainerState.CONTAINER_STATE_CHECKPOINTED : ContainerState.CONTAINER_STATE_STOPPED;
    };
  }

  static Operation operation(OperationRecord op) {
    Operation.Builder built = Operation.newBuilder();
    if (op.kind() == OperationRecord.Kind.MIGRATE) {
      Migrations.progress(op).ifPresent(built::setMigration);
    } else if (op.kind().onHost()) {
      built.setEvacuation(io.ferry.coordinator.operations.Evacuations.report(op));
    }
    return built
        .setId(op.id())
        .setDescription(op.kind().label() + " " + op.target())
        .setState(
            switch (op.state()) {
              case RUNNING -> OperationState.OPERATION_STATE_RUNNING;
              case SUCCEEDED -> OperationState.OPERATION_STATE_SUCCEEDED;
              case FAILED -> OperationState.OPERATION_STATE_FAILED;
              case CANCELLED -> OperationState.OPERATION_STATE_CANCELLED;
            })
        .setPhase(op.phase())
        .setError(op.error())
        .setCreatedAt(timestamp(op.createdAtMillis()))
        .setUpdatedAt(timestamp(op.updatedAtMillis()))
        .setTarget(op.target())
        .setKind(op.kind().label())
        .setProgressPercent(op.progressPercent())
        .build();
  }

  static Host host(HostView view) {
    HostRegistration registration = view.member().registration();
    return Host.newBuilder()
        .setName(view.name())
        .setState(state(view.status()))
        .setAddress(registration.address())
        .putAllLabels(registration.labels())
        .setAllocatedCpuMillis(view.allocation().allocated().cpuMillis())
        .setAllocatedMemoryBytes(view.allocation().allocated().memoryBytes())
        .setAllocatedDiskBytes(view.allocation().allocated().diskBytes())
        .setContainers(view.allocation().containers())
        .setCapacityCpuMillis(registration.cpuMillis())
        .setCapacityMemoryBytes(registration.memoryBytes())
        .setCapacityDiskBytes(registration.diskBytes())
        .setAgentVersion(registration.agentVersion() == null ? "" : registration.agentVersion())
        .build();
  }

  static HostState state(HostStatus status) {
    return switch (status) {
      case ONLINE -> HostState.HOST_STATE_ONLINE;
      case OFFLINE -> HostState.HOST_STATE_OFFLINE;
      case EVACUATING -> HostState.HOST_STATE_EVACUATING;
      case EVACUATED -> HostState.HOST_STATE_EVACUATED;
    };
  }

  static io.ferry.proto.v1.HostVerdict verdict(HostVerdict verdict) {
    return io.ferry.proto.v1.HostVerdict.newBuilder()
        .setHost(verdict.host())
        .setFits(verdict.fits())
        .setScore(verdict.fits() ? verdict.score() : 0)
        .setReason(verdict.reason())
        .build();
  }

  static Timestamp timestamp(long millis) {
    return Timestamp.newBuilder().setSeconds(Math.floorDiv(millis, 1000)).setNanos((int) Math.floorMod(millis, 1000) * 1_000_000).build();
  }
}
