package io.ferry.coordinator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ferry.coordinator.CoordinatorServer;
import io.ferry.coordinator.config.CoordinatorConfig;
import io.ferry.coordinator.store.EmbeddedZooKeeper;
import io.ferry.proto.v1.ClusterContainer;
import io.ferry.proto.v1.ContainerRef;
import io.ferry.proto.v1.ContainerServiceGrpc;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.CopyContainerRequest;
import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.Event;
import io.ferry.proto.v1.EventKind;
import io.ferry.proto.v1.EventServiceGrpc;
import io.ferry.proto.v1.ExecOutput;
import io.ferry.proto.v1.ExecRequest;
import io.ferry.proto.v1.GetContainerRequest;
import io.ferry.proto.v1.GetOperationRequest;
import io.ferry.proto.v1.HostServiceGrpc;
import io.ferry.proto.v1.HostState;
import io.ferry.proto.v1.LaunchRequest;
import io.ferry.proto.v1.LaunchResponse;
import io.ferry.proto.v1.Limits;
import io.ferry.proto.v1.ListClusterContainersRequest;
import io.ferry.proto.v1.ListHostsRequest;
import io.ferry.proto.v1.ListOperationsRequest;
import io.ferry.proto.v1.Operation;
import io.ferry.proto.v1.OperationServiceGrpc;
import io.ferry.proto.v1.OperationState;
import io.ferry.proto.v1.StopContainerRequest;
import io.ferry.proto.v1.WatchEventsRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two coordinators in this JVM on a real ZooKeeper with real Helix, three simulated hosts (fake
 * agents joined as Helix participants): the public API's semantics without runc, fast.
 */
class CoordinatorApiIT {

  private static final long MIB = FakeCluster.MIB;

  @TempDir Path dir;
  private FakeCluster cluster;
  private List<CoordinatorServer> coordinators;
  private List<FakeHost> hosts;

  @BeforeEach
  void startCluster() throws Exception {
    cluster = FakeCluster.start(dir);
    coordinators = cluster.coordinators;
    hosts = cluster.hosts;
  }

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  private ManagedChannel channel(int coordinator) {
    return cluster.channel(coordinator);
  }

  private ContainerServiceGrpc.ContainerServiceBlockingStub containers(int coordinator) {
    return cluster.containers(coordinator);
  }

  private Operation follow(int coordinator, Operation op) {
    return cluster.follow(coordinator, op);
  }

  private static LaunchRequest launch(String name, long memoryMiB) {
    return LaunchRequest.newBuilder()
        .setSpec(ContainerSpec.newBuilder().setName(name).setImage("busybox").setLimits(Limits.newBuilder().setMemoryBytes(memoryMiB * MIB)))
        .setCpuMillis(100)
        .build();
  }

  private FakeHost host(String name) {
    return cluster.host(name);
  }

  @Test
  void launchRunsTheContainerOnTheChosenHostAndEveryCoordinatorListsIt() {
    LaunchResponse response = containers(1).launch(launch("web-1", 256));
    Operation done = follow(1, response.getOperation());

    assertThat(done.getState()).as(done.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    assertThat(done.getKind()).isEqualTo("launch");
    assertThat(host(response.getChosenHost()).agent.containers.get("web-1").getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
    assertThat(host(response.getChosenHost()).agent.containers.get("web-1").getSpec().getLimits().getMemoryBytes()).isEqualTo(256 * MIB);
    assertThat(host(response.getChosenHost()).agent.containers.get("web-1").getNetwork())
        .as("the agent is given the container's cluster address")
        .isEqualTo(io.ferry.proto.v1.NetworkInfo.newBuilder().setAddress("10.100.0.2").setMac("0a:58:0a:64:00:02").setPrefixLength(16).setGateway("10.100.0.1").build());
    assertThat(containers(0).get(io.ferry.proto.v1.GetContainerRequest.newBuilder().setName("web-1").build()).getNetwork().getAddress())
        .isEqualTo("10.100.0.2");
    for (int c = 0; c < 2; c++) {
      int reader = c;
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
        List<ClusterContainer> listed = containers(reader).list(ListClusterContainersRequest.getDefaultInstance()).getContainersList();
        assertThat(listed).singleElement().satisfies(cc -> {
          assertThat(cc.getHost()).isEqualTo(response.getChosenHost());
          assertThat(cc.getContainer().getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
          assertThat(cc.getDesiredState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
        });
      });
    }
    assertThat(HostServiceGrpc.newBlockingStub(channel(0)).listHosts(ListHostsRequest.getDefaultInstance()).getHostsList())
        .filteredOn(h -> h.getName().equals(response.getChosenHost()))
        .singleElement()
        .satisfies(h -> {
          assertThat(h.getAllocatedMemoryBytes()).isEqualTo(256 * MIB);
          assertThat(h.getContainers()).isEqualTo(1);
        });
  }

  @Test
  void spreadPutsEachLaunchOnTheEmptiestHostAndLabelsAndTargetsConstrainIt() {
    List<String> chosen = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      LaunchResponse r = containers(0).launch(launch("spread-" + i, 128));
      assertThat(follow(0, r.getOperation()).getState()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
      chosen.add(r.getChosenHost());
    }
    assertThat(chosen).containsExactlyInAnyOrder("host-1", "host-2", "host-3");

    LaunchResponse zoneA = containers(0).launch(launch("zoned", 64).toBuilder().putRequiredLabels("zone", "a").build());
    assertThat(zoneA.getChosenHost()).isEqualTo("host-1");
    LaunchResponse targeted = containers(1).launch(launch("pinned", 64).toBuilder().setTargetHost("host-3").build());
    assertThat(targeted.getChosenHost()).isEqualTo("host-3");
    LaunchResponse debian = containers(1).launch(launch("deb", 64).toBuilder().setSpec(launch("deb", 64).getSpec().toBuilder().setImage("debian/12")).build());
    assertThat(debian.getChosenHost()).as("only host-1 holds debian/12").isEqualTo("host-1");
  }

  @Test
  void anHaContainerGetsAStandbyOnAnotherHostAndTheAgentKnowsItIsHa() {
    LaunchRequest ha = launch("db-1", 128).toBuilder()
        .setSpec(launch("db-1", 128).getSpec().toBuilder().setHa(true))
        .setTargetHost("host-2")
        .build();

    LaunchResponse response = containers(0).launch(ha);

    assertThat(follow(0, response.getOperation()).getState()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    assertThat(response.getChosenHost()).isEqualTo("host-2");
    ClusterContainer seen = containers(1).get(io.ferry.proto.v1.GetContainerRequest.newBuilder().setName("db-1").build());
    assertThat(seen.getHa().getStandbyHost()).as("anti-affine to its host").isIn("host-1", "host-3");
    assertThat(seen.getHa().getReplicaAgeSeconds()).as("no replica yet").isEqualTo(-1);
    assertThat(seen.getHa().hasReplicaAt()).isFalse();
    assertThat(host("host-2").agent.containers.get("db-1").getSpec().getHa()).isTrue();

    ClusterContainer plain = containers(0).get(io.ferry.proto.v1.GetContainerRequest.newBuilder().setName("db-1").build());
    assertThat(plain.hasHa()).isTrue();
  }

  @Test
  void anHaContainerWithNoHostForItsStandbyIsRefusedAndNothingIsPlaced() {
    // Only host-1 has zone=a: there is nowhere for a standby.
    LaunchRequest ha = launch("lonely", 64).toBuilder()
        .setSpec(launch("lonely", 64).getSpec().toBuilder().setHa(true))
        .putRequiredLabels("zone", "a")
        .build();

    assertThatThrownBy(() -> containers(0).launch(ha))
        .isInstanceOfSatisfying(io.grpc.StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.FAILED_PRECONDITION);
          assertThat(e.getStatus().getDescription()).contains("needs a standby host besides host-1");
        });
    assertThat(containers(1).list(ListClusterContainersRequest.getDefaultInstance()).getContainersList())
        .noneMatch(c -> c.getContainer().getSpec().getName().equals("lonely"));
  }

  @Test
  void dryRunExplainsAndReservesNothing() {
    LaunchResponse dry = containers(1).launch(launch("maybe", 600).toBuilder().setDryRun(true).build());

    assertThat(dry.hasOperation()).isFalse();
    assertThat(dry.getChosenHost()).isIn("host-1", "host-2");
    assertThat(dry.getVerdictsList()).hasSize(3);
    assertThat(dry.getVerdictsList()).filteredOn(v -> v.getHost().equals("host-3")).singleElement()
        .satisfies(v -> {
          assertThat(v.getFits()).isFalse();
          assertThat(v.getReason()).contains("host-3: needs", "memory");
        });
    assertThat(containers(0).list(ListClusterContainersRequest.getDefaultInstance()).getContainersCount()).isZero();
    assertThat(HostServiceGrpc.newBlockingStub(channel(0)).listHosts(ListHostsRequest.getDefaultInstance()).getHostsList())
        .allSatisfy(h -> assertThat(h.getAllocatedMemoryBytes()).isZero());
  }

  @Test
  void refusalsCarryTheirCodeAndAReasonPerHost() {
    StatusRuntimeException full = catchStatus(() -> containers(0).launch(launch("huge", 4096)));
    assertThat(full.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(full.getStatus().getDescription()).contains("host-1: needs 4.0 GiB memory, 1.0 GiB free", "host-3: needs 4.0 GiB memory, 512 MiB free");

    assertThat(follow(0, containers(0).launch(launch("one", 64)).getOperation()).getState()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    assertThat(catchStatus(() -> containers(1).launch(launch("one", 64))).getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
    assertThat(catchStatus(() -> containers(1).launch(launch("two", 64).toBuilder().setSpec(launch("two", 64).getSpec().toBuilder().setImage("nginx")).build()))
        .getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(catchStatus(() -> containers(1).launch(launch("two", 64).toBuilder().setTargetHost("host-7").build())).getStatus().getCode())
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(catchStatus(() -> containers(1).launch(launch("Two!", 64))).getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(catchStatus(() -> containers(0).stop(StopContainerRequest.newBuilder().setName("ghost").build())).getStatus().getCode())
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(containers(0).list(ListClusterContainersRequest.getDefaultInstance()).getContainersList()).extracting(c -> c.getContainer().getSpec().getName())
        .containsExactly("one");
  }

  @Test
  void stopStartDeleteAndCopyRunAsOperationsThroughEitherCoordinator() {
    Operation launched = follow(0, containers(0).launch(launch("app", 128)).getOperation());
    assertThat(launched.getState()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    String where = containers(0).get(GetContainerRequest.newBuilder().setName("app").build()).getHost();

    assertThat(follow(1, containers(1).stop(StopContainerRequest.newBuilder().setName("app").build())).getState()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    assertThat(host(where).agent.containers.get("app").getState()).isEqualTo(ContainerState.CONTAINER_STATE_STOPPED);
    assertThat(containers(1).get(GetContainerRequest.newBuilder().setName("app").build()).getDesiredState()).isEqualTo(ContainerState.CONTAINER_STATE_STOPPED);

    Operation copied = follow(1, containers(1).copy(CopyContainerRequest.newBuilder().setSource("app").setTarget("app-copy").build()));
    assertThat(copied.getState()).as(copied.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    assertThat(host(where).agent.containers).containsKey("app-copy");
    assertThat(host(where).agent.containers.get("app-copy").getNetwork().getAddress()).as("a copy gets its own address").isEqualTo("10.100.0.3");

    ClusterContainer frozen = containers(1).freeze(ContainerRef.newBuilder().setName("app-copy").build());
    assertThat(frozen.getContainer().getState()).isEqualTo(ContainerState.CONTAINER_STATE_FROZEN);

    List<String> out = new ArrayList<>();
    containers(0).exec(ExecRequest.newBuilder().setName("app").addCommand("hostname").build()).forEachRemaining(o -> out.add(o.getStdout().toStringUtf8()));
    assertThat(out).contains(where + ":hostname\n");

    for (String name : List.of("app", "app-copy")) {
      assertThat(follow(0, containers(0).delete(DeleteContainerRequest.newBuilder().setName(name).setForce(true).build())).getState())
          .isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    }
    assertThat(host(where).agent.containers).isEmpty();
    // Deleting freed both addresses: the next launch gets the lowest again.
    Operation again = follow(0, containers(0).launch(launch("app-2", 128)).getOperation());
    assertThat(again.getState()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    assertThat(containers(0).get(GetContainerRequest.newBuilder().setName("app-2").build()).getNetwork().getAddress()).isEqualTo("10.100.0.2");
    assertThat(follow(0, containers(0).delete(DeleteContainerRequest.newBuilder().setName("app-2").setForce(true).build())).getState())
        .isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(HostServiceGrpc.newBlockingStub(channel(1)).listHosts(ListHostsRequest.getDefaultInstance()).getHostsList())
            .allSatisfy(h -> {
              assertThat(h.getAllocatedMemoryBytes()).isZero();
              assertThat(h.getContainers()).isZero();
            }));
  }

  @Test
  void liveLimitsMoveTheReservationAndAGrowthBeyondTheHostIsRefused() {
    LaunchResponse launched = containers(0).launch(launch("grow", 128).toBuilder().setTargetHost("host-3").build());
    assertThat(follow(0, launched.getOperation()).getState()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);

    ClusterContainer grown = containers(1).updateLimits(io.ferry.proto.v1.UpdateLimitsRequest.newBuilder().setName("grow")
        .setLimits(Limits.newBuilder().setMemoryBytes(384 * MIB).setCpuQuotaMicros(150_000).setCpuPeriodMicros(100_000)).build());
    assertThat(grown.getCpuMillis()).isEqualTo(1500);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(host3()).satisfies(h -> {
      assertThat(h.getAllocatedMemoryBytes()).isEqualTo(384 * MIB);
      assertThat(h.getAllocatedCpuMillis()).isEqualTo(1500);
    }));

    StatusRuntimeException tooBig = catchStatus(() -> containers(0).updateLimits(io.ferry.proto.v1.UpdateLimitsRequest.newBuilder().setName("grow")
        .setLimits(Limits.newBuilder().setMemoryBytes(1024 * MIB)).build()));
    assertThat(tooBig.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(tooBig.getStatus().getDescription()).contains("host-3: needs");
    assertThat(host3().getAllocatedMemoryBytes()).isEqualTo(384 * MIB);
    assertThat(catchStatus(() -> containers(0).updateLimits(io.ferry.proto.v1.UpdateLimitsRequest.newBuilder().setName("grow")
        .setLimits(Limits.newBuilder().setMemoryBytes(1024)).build())).getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
  }

  private io.ferry.proto.v1.Host host3() {
    return HostServiceGrpc.newBlockingStub(channel(0)).getHost(io.ferry.proto.v1.GetHostRequest.newBuilder().setName("host-3").build());
  }

  @Test
  void aLaunchWhoseStartFailsIsUndoneAndLeavesNothing() {
    hosts.forEach(h -> h.agent.failStartsWith = "bad");
    Operation failed = follow(0, containers(0).launch(launch("bad-1", 64)).getOperation());

    assertThat(failed.getState()).isEqualTo(OperationState.OPERATION_STATE_FAILED);
    assertThat(failed.getError()).contains("INTERNAL", "runc: exec failed");
    assertThat(hosts).allSatisfy(h -> assertThat(h.agent.containers).doesNotContainKey("bad-1"));
    assertThat(catchStatus(() -> containers(0).get(GetContainerRequest.newBuilder().setName("bad-1").build())).getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(OperationServiceGrpc.newBlockingStub(channel(1)).listOperations(ListOperationsRequest.getDefaultInstance()).getOperationsList())
        .extracting(Operation::getState)
        .contains(OperationState.OPERATION_STATE_FAILED);
  }

  @Test
  void eventsReportPlacementStateChangesAndDeletion() throws Exception {
    BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    Iterator<Event> stream = EventServiceGrpc.newBlockingStub(channel(1)).watchEvents(WatchEventsRequest.newBuilder().addKinds(EventKind.EVENT_KIND_CONTAINER).build());
    Thread reader = new Thread(() -> {
      try {
        stream.forEachRemaining(events::add);
      } catch (StatusRuntimeException e) {
        // Closed at the end of the test.
      }
    });
    reader.setDaemon(true);
    reader.start();
    assertThat(events.poll(10, TimeUnit.SECONDS)).as("the subscription marker").extracting(Event::getAction).isEqualTo("watching");

    follow(0, containers(0).launch(launch("ev-1", 64)).getOperation());
    follow(0, containers(0).delete(DeleteContainerRequest.newBuilder().setName("ev-1").setForce(true).build()));

    List<String> seen = new ArrayList<>();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      Event e;
      while ((e = events.poll()) != null) {
        seen.add(e.getSubject() + " " + e.getAction());
      }
      assertThat(seen).containsSubsequence("ev-1 placed", "ev-1 running", "ev-1 deleted");
    });
  }

  @Test
  void aNewLeaderTakesOverWhenTheLeaderStops() throws Exception {
    Operation first = follow(0, containers(0).launch(launch("before", 64)).getOperation());
    assertThat(first.getState()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    int leader = leaderIndex();
    int follower = 1 - leader;

    coordinators.get(leader).close();
    long stoppedAt = System.nanoTime();
    await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(() -> {
      LaunchResponse r = containers(follower).launch(launch("after", 64));
      assertThat(follow(follower, r.getOperation()).getState()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    });
    System.out.printf("writes served again %.2f s after the leader stopped%n", (System.nanoTime() - stoppedAt) / 1e9);
    assertThat(containers(follower).list(ListClusterContainersRequest.getDefaultInstance()).getContainersList())
        .extracting(c -> c.getContainer().getSpec().getName())
        .containsExactly("after", "before");
    assertThat(hosts.stream().mapToInt(h -> h.agent.creates.get()).sum()).isEqualTo(2);
  }

  private int leaderIndex() {
    return cluster.leaderIndex();
  }

  private static StatusRuntimeException catchStatus(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("the call was not refused");
  }
}
