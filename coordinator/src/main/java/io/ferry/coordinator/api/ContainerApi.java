package io.ferry.coordinator.api;

import io.ferry.coordinator.placement.HostStatus;

import io.ferry.coordinator.CoordinatorException;
import io.ferry.coordinator.CoordinatorException.Kind;
import io.ferry.coordinator.hosts.AgentClients;
import io.ferry.coordinator.hosts.HostDirectory;
import io.ferry.coordinator.operations.ContainerOperations;
import io.ferry.coordinator.operations.Launcher;
import io.ferry.coordinator.operations.OperationRunner;
import io.ferry.coordinator.placement.PlacementDecision;
import io.ferry.coordinator.store.ClusterStore;
import io.ferry.coordinator.store.ContainerRecord;
import io.ferry.coordinator.store.OperationRecord;
import io.ferry.coordinator.store.Versioned;
import io.ferry.proto.v1.ClusterContainer;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerRef;
import io.ferry.proto.v1.ContainerServiceGrpc;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.CopyContainerRequest;
import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.DeleteSnapshotResponse;
import io.ferry.proto.v1.ExecOutput;
import io.ferry.proto.v1.ExecRequest;
import io.ferry.proto.v1.GetContainerRequest;
import io.ferry.proto.v1.LaunchRequest;
import io.ferry.proto.v1.LaunchResponse;
import io.ferry.proto.v1.ListClusterContainersRequest;
import io.ferry.proto.v1.ListClusterContainersResponse;
import io.ferry.proto.v1.ListSnapshotsResponse;
import io.ferry.proto.v1.MigrateRequest;
import io.ferry.proto.v1.Operation;
import io.ferry.proto.v1.Snapshot;
import io.ferry.proto.v1.SnapshotRef;
import io.ferry.proto.v1.StartContainerRequest;
import io.ferry.proto.v1.StopContainerRequest;
import io.ferry.proto.v1.UpdateLimitsRequest;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code ferry.v1.ContainerService}. Reads answer from this coordinator's mirror of the store;
 * writes that change desired state run on the leader (forwarded by {@link LeaderGate}); quick
 * actions on one container (freeze, exec, snapshots) go straight to its host's agent from any
 * coordinator.
 */
final class ContainerApi extends ContainerServiceGrpc.ContainerServiceImplBase {

  private static final Duration LIVE_READ = Duration.ofSeconds(2);

  private final ClusterStore store;
  private final LeaderGate gate;
  private final Launcher launcher;
  private final ContainerOperations operations;
  private final OperationRunner runner;
  private final HostDirectory hosts;
  private final AgentClients agents;

  ContainerApi(
      ClusterStore store,
      LeaderGate gate,
      Launcher launcher,
      ContainerOperations operations,
      OperationRunner runner,
      HostDirectory hosts,
      AgentClients agents) {
    this.store = store;
    this.gate = gate;
    this.launcher = launcher;
    this.operations = operations;
    this.runner = runner;
    this.hosts = hosts;
    this.agents = agents;
  }

  @Override
  public void launch(LaunchRequest request, StreamObserver<LaunchResponse> response) {
    gate.write(response, () -> launchHere(request), channel -> ContainerServiceGrpc.newBlockingStub(channel).launch(request));
  }

  private LaunchResponse launchHere(LaunchRequest request) {
    LaunchRequests.Checked checked = LaunchRequests.check(request);
    checked.placement().targetHost().ifPresent(target -> {
      if (hosts.host(target).isEmpty()) {
        throw new CoordinatorException(Kind.NOT_FOUND, "no host " + target + " in the cluster");
      }
    });
    String image = checked.spec().getImage();
    if (!hosts.anyHolds(image)) {
      throw new CoordinatorException(Kind.NOT_FOUND, "image " + image + " is on no host of the cluster; import it first (ferry image import)");
    }
    LaunchResponse.Builder response = LaunchResponse.newBuilder();
    if (request.getDryRun()) {
      PlacementDecision decision = launcher.dryRun(checked.placement());
      decision.verdicts().forEach(v -> response.addVerdicts(ApiMapper.verdict(v)));
      if (decision instanceof PlacementDecision.Placed placed) {
        response.setChosenHost(placed.host());
      }
      return response.build();
    }
    Launcher.Launched launched = launcher.launch(checked.placement(), checked.spec().toByteArray(), checked.spec().getHa());
    runner.submit(launched.operation());
    launched.decision().verdicts().forEach(v -> response.addVerdicts(ApiMapper.verdict(v)));
    return response.setChosenHost(launched.host()).setOperation(ApiMapper.operation(launched.operation())).build();
  }

  @Override
  public void get(GetContainerRequest request, StreamObserver<ClusterContainer> response) {
    ApiErrors.unary(
        response,
        () -> {
          ContainerRecord record = existing(request.getName()).value();
          ClusterContainer stored = view(record);
          if (stored.getContainer().getState() == ContainerState.CONTAINER_STATE_HOST_LOST) {
            return stored;
          }
          try {
            Container live = agents.blocking(record.host(), LIVE_READ).getContainer(ContainerRef.newBuilder().setName(record.name()).build());
            return stored.toBuilder().setContainer(live).build();
          } catch (RuntimeException e) {
            return stored; // The host cannot be asked now: what was last seen.
          }
        });
  }

  @Override
  public void list(ListClusterContainersRequest request, StreamObserver<ListClusterContainersResponse> response) {
    ApiErrors.unary(
        response,
        () -> {
          List<ContainerRecord> matching = new ArrayList<>();
          for (Versioned<ContainerRecord> v : store.containers()) {
            ContainerRecord r = v.value();
            if (!request.getHost().isEmpty() && !request.getHost().equals(r.host())) {
              continue;
            }
            if (!request.getNamePrefix().isEmpty() && !r.name().startsWith(request.getNamePrefix())) {
              continue;
            }
            if (request.getState() != ContainerState.CONTAINER_STATE_UNSPECIFIED && state(r) != request.getState()) {
              continue;
            }
            matching.add(r);
          }
          matching.sort(Comparator.comparing(ContainerRecord::name));
          ListClusterContainersResponse.Builder out = ListClusterContainersResponse.newBuilder();
          matching.forEach(r -> out.addContainers(view(r)));
          return out.build();
        });
  }

  /** Whether {@code record}'s host is offline: then no one can tell whether it runs. */
  private boolean hostLost(ContainerRecord record) {
    return hosts.host(record.host()).map(h -> h.status() == HostStatus.OFFLINE).orElse(true);
  }

  private ContainerState state(ContainerRecord record) {
    return hostLost(record) ? ContainerState.CONTAINER_STATE_HOST_LOST : ApiMapper.observedState(record);
  }

  /** The record as the API shows it: HOST_LOST, with the last report's detail kept, when its host is offline. */
  private ClusterContainer view(ContainerRecord record) {
    ClusterContainer stored = ApiMapper.container(record);
    if (!hostLost(record)) {
      return stored;
    }
    Container last = stored.getContainer();
    return stored.toBuilder().setContainer(last.toBuilder().setState(ContainerState.CONTAINER_STATE_HOST_LOST)
        .setDetail("host " + record.host() + " is offline; last seen " + last.getState().name()
            .replace("CONTAINER_STATE_", "").toLowerCase(java.util.Locale.ROOT))).build();
  }

  @Override
  public void start(StartContainerRequest request, StreamObserver<Operation> response) {
    Map<String, String> params = request.getStateful() ? Map.of("stateful", "true") : Map.of();
    begin(response, OperationRecord.Kind.START, request.getName(), ContainerRecord.Desired.RUNNING, params, c -> ContainerServiceGrpc.newBlockingStub(c).start(request));
  }

  @Override
  public void stop(StopContainerRequest request, StreamObserver<Operation> response) {
    begin(response, OperationRecord.Kind.STOP, request.getName(), ContainerRecord.Desired.STOPPED, stopParams(request), c -> ContainerServiceGrpc.newBlockingStub(c).stop(request));
  }

  @Override
  public void restart(StopContainerRequest request, StreamObserver<Operation> response) {
    begin(response, OperationRecord.Kind.RESTART, request.getName(), ContainerRecord.Desired.RUNNING, stopParams(request), c -> ContainerServiceGrpc.newBlockingStub(c).restart(request));
  }

  @Override
  public void delete(DeleteContainerRequest request, StreamObserver<Operation> response) {
    Map<String, String> params = request.getForce() ? Map.of("force", "true") : Map.of();
    begin(response, OperationRecord.Kind.DELETE, request.getName(), ContainerRecord.Desired.DELETED, params, c -> ContainerServiceGrpc.newBlockingStub(c).delete(request));
  }

  @Override
  public void copy(CopyContainerRequest request, StreamObserver<Operation> response) {
    gate.write(
        response,
        () -> ApiMapper.operation(operations.copy(request.getSource(), request.getTarget())),
        c -> ContainerServiceGrpc.newBlockingStub(c).copy(request));
  }

  @Override
  public void migrate(MigrateRequest request, StreamObserver<Operation> response) {
    gate.write(
        response,
        () -> ApiMapper.operation(operations.migrate(request)),
        c -> ContainerServiceGrpc.newBlockingStub(c).migrate(request));
  }

  private void begin(
      StreamObserver<Operation> response,
      OperationRecord.Kind kind,
      String name,
      ContainerRecord.Desired desired,
      Map<String, String> params,
      Function<io.grpc.Channel, Operation> remote) {
    gate.write(response, () -> ApiMapper.operation(operations.begin(kind, name, desired, params)), remote);
  }

  private static Map<String, String> stopParams(StopContainerRequest request) {
    Map<String, String> params = new HashMap<>();
    if (request.getForce()) {
      params.put("force", "true");
    }
    if (request.getStateful()) {
      params.put("stateful", "true");
    }
    if (request.getTimeoutSeconds() > 0) {
      params.put("timeout", Integer.toString(request.getTimeoutSeconds()));
    }
    return params;
  }

  @Override
  public void freeze(ContainerRef request, StreamObserver<ClusterContainer> response) {
    ApiErrors.unary(response, () -> observe(request.getName(), host -> agents.blocking(host).freezeContainer(request)));
  }

  @Override
  public void unfreeze(ContainerRef request, StreamObserver<ClusterContainer> response) {
    ApiErrors.unary(response, () -> observe(request.getName(), host -> agents.blocking(host).unfreezeContainer(request)));
  }

  @Override
  public void updateLimits(UpdateLimitsRequest request, StreamObserver<ClusterContainer> response) {
    gate.write(
        response,
        () -> observe(request.getName(), host -> operations.updateLimits(request.getName(), request.getLimits())),
        c -> ContainerServiceGrpc.newBlockingStub(c).updateLimits(request));
  }

  @Override
  public void restoreSnapshot(SnapshotRef request, StreamObserver<ClusterContainer> response) {
    ApiErrors.unary(response, () -> observe(request.getContainer(), host -> agents.blocking(host).restoreSnapshot(request)));
  }

  @Override
  public void createSnapshot(SnapshotRef request, StreamObserver<Snapshot> response) {
    ApiErrors.unary(response, () -> agents.blocking(hostOf(request.getContainer())).createSnapshot(request));
  }

  @Override
  public void listSnapshots(ContainerRef request, StreamObserver<ListSnapshotsResponse> response) {
    ApiErrors.unary(response, () -> agents.blocking(hostOf(request.getName())).listSnapshots(request));
  }

  @Override
  public void deleteSnapshot(SnapshotRef request, StreamObserver<DeleteSnapshotResponse> response) {
    ApiErrors.unary(response, () -> agents.blocking(hostOf(request.getContainer())).deleteSnapshot(request));
  }

  @Override
  public void exec(ExecRequest request, StreamObserver<ExecOutput> response) {
    String host;
    try {
      host = hostOf(request.getName());
    } catch (RuntimeException e) {
      response.onError(ApiErrors.toStatus(e));
      return;
    }
    long seconds = request.getTimeoutSeconds() == 0 ? 3600 : request.getTimeoutSeconds() + 30L;
    agents.async(host).withDeadlineAfter(seconds, java.util.concurrent.TimeUnit.SECONDS).exec(request, response);
  }

  /** Runs a quick agent action on a container and records what the host answered. */
  private ClusterContainer observe(String name, Function<String, Container> action) {
    Container after = action.apply(existing(name).value().host());
    Versioned<ContainerRecord> now = existing(name); // The action may have changed the record.
    ContainerRecord updated = now.value().withObserved(after.toByteArray(), System.currentTimeMillis());
    try {
      store.updateContainer(updated, now.version());
    } catch (ClusterStore.ConflictException e) {
      // Someone else recorded a newer state meanwhile; the host's answer is returned anyway.
    }
    return ApiMapper.container(updated).toBuilder().setContainer(after).build();
  }

  private String hostOf(String name) {
    return existing(name).value().host();
  }

  private Versioned<ContainerRecord> existing(String name) {
    io.ferry.common.Names.require("container", name);
    return store.containerNow(name).orElseThrow(() -> new CoordinatorException(Kind.NOT_FOUND, "no container " + name + " in the cluster"));
  }
}
