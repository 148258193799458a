package io.ferry.coordinator.operations;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.coordinator.hosts.AgentClients;
import io.ferry.coordinator.network.NetworkInfos;
import io.ferry.coordinator.store.ContainerRecord;
import io.ferry.coordinator.store.OperationRecord;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerRef;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.CopyContainerRequest;
import io.ferry.proto.v1.CreateContainerRequest;
import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.NetworkInfo;
import io.ferry.proto.v1.StartContainerRequest;
import io.ferry.proto.v1.StopContainerRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Optional;

/**
 * The agent-side steps of each operation kind. Every step is idempotent: it first looks at what
 * the host has and only acts when that differs from the goal (a launch asks to create at once and
 * takes ALREADY_EXISTS as a cue to look, saving two agent calls on the usual first run), so a new
 * leader can run an interrupted operation again from the top.
 *
 * <p>Failure modes: the agent's {@link StatusRuntimeException}, passed through.
 */
final class ContainerWork {

  /** Reports progress: a phase in words and a percentage. */
  interface Progress {
    void phase(String phase, int percent);
  }

  private final AgentClients agents;

  ContainerWork(AgentClients agents) {
    this.agents = agents;
  }

  /** Runs {@code operation}'s steps on {@code container}'s host; returns the container as it ends. */
  Optional<Container> run(OperationRecord operation, ContainerRecord container, Progress progress) {
    String host = container.host();
    String name = container.name();
    switch (operation.kind()) {
      case LAUNCH -> {
        progress.phase("creating on " + host, 20);
        Container created;
        try {
          created = agents.blocking(host).createContainer(CreateContainerRequest.newBuilder().setSpec(spec(container)).setNetwork(network(container)).build());
        } catch (StatusRuntimeException e) {
          if (e.getStatus().getCode() != Status.Code.ALREADY_EXISTS) {
            throw e;
          }
          // A resumed launch whose container was created before: carry on from its state.
          created = get(host, name);
        }
        progress.phase("starting on " + host, 60);
        return Optional.of(created.getState() == ContainerState.CONTAINER_STATE_RUNNING ? created : start(host, name, false));
      }
      case START -> {
        progress.phase("starting on " + host, 50);
        return Optional.of(ensureRunning(host, name, Boolean.parseBoolean(operation.param("stateful"))));
      }
      case STOP -> {
        progress.phase("stopping on " + host, 50);
        Container now = get(host, name);
        if (isStopped(now.getState())) {
          return Optional.of(now);
        }
        return Optional.of(agents.blocking(host, agents.callTimeout().plusSeconds(stopSeconds(operation))).stopContainer(stopRequest(name, operation)));
      }
      case RESTART -> {
        progress.phase("restarting on " + host, 50);
        return Optional.of(agents.blocking(host, agents.callTimeout().plusSeconds(stopSeconds(operation))).restartContainer(stopRequest(name, operation)));
      }
      case DELETE -> {
        progress.phase("deleting on " + host, 50);
        try {
          agents
              .blocking(host, agents.callTimeout().plusSeconds(stopSeconds(operation)))
              .deleteContainer(DeleteContainerRequest.newBuilder().setName(name).setForce(Boolean.parseBoolean(operation.param("force"))).build());
        } catch (StatusRuntimeException e) {
          if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
            throw e;
          }
        }
        return Optional.empty();
      }
      case COPY -> {
        String source = operation.param("source");
        progress.phase("copying " + source + " on " + host, 50);
        Optional<Container> existing = find(host, name);
        if (existing.isPresent()) {
          return existing;
        }
        return Optional.of(
            agents.blocking(host).copyContainer(CopyContainerRequest.newBuilder().setSource(source).setTarget(name).setNetwork(network(container)).build()));
      }
      default -> throw new IllegalStateException("no work for " + operation.kind());
    }
  }

  /** Undoes a launch or copy that failed: removes whatever the host made of it. Best effort. */
  void undoCreate(ContainerRecord container) {
    try {
      agents.blocking(container.host()).deleteContainer(DeleteContainerRequest.newBuilder().setName(container.name()).setForce(true).build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
        throw e;
      }
    }
  }

  private Container ensureRunning(String host, String name, boolean stateful) {
    Container now = get(host, name);
    if (now.getState() == ContainerState.CONTAINER_STATE_RUNNING) {
      return now;
    }
    return start(host, name, stateful);
  }

  private Container start(String host, String name, boolean stateful) {
    return agents.blocking(host).startContainer(StartContainerRequest.newBuilder().setName(name).setStateful(stateful).build());
  }

  private Optional<Container> find(String host, String name) {
    try {
      return Optional.of(get(host, name));
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return Optional.empty();
      }
      throw e;
    }
  }

  private Container get(String host, String name) {
    return agents.blocking(host).getContainer(ContainerRef.newBuilder().setName(name).build());
  }

  private static boolean isStopped(ContainerState state) {
    return state == ContainerState.CONTAINER_STATE_STOPPED || state == ContainerState.CONTAINER_STATE_CHECKPOINTED;
  }

  private static long stopSeconds(OperationRecord operation) {
    String timeout = operation.param("timeout");
    return timeout.isEmpty() ? 30 : Long.parseLong(timeout);
  }

  private static StopContainerRequest stopRequest(String name, OperationRecord operation) {
    StopContainerRequest.Builder request =
        StopContainerRequest.newBuilder()
            .setName(name)
            .setForce(Boolean.parseBoolean(operation.param("force")))
            .setStateful(Boolean.parseBoolean(operation.param("stateful")));
    if (!operation.param("timeout").isEmpty()) {
      request.setTimeoutSeconds(Integer.parseInt(operation.param("timeout")));
    }
    return request.build();
  }

  /**
   * The network identity an agent is to give the container: its cluster address, or nothing (the
   * agent leases one) for a record from before the cluster allocated addresses.
   */
  static NetworkInfo network(ContainerRecord container) {
    return container.clusterAddress().map(NetworkInfos::of).orElse(NetworkInfo.getDefaultInstance());
  }

  static ContainerSpec spec(ContainerRecord container) {
    try {
      return ContainerSpec.parseFrom(container.spec());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("the stored spec of " + container.name() + " is unreadable", e);
    }
  }
}
