package io.ferry.coordinator.it;

import static io.ferry.coordinator.it.FakeCluster.MIB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.proto.v1.ContainerMove;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.EvacuateHostRequest;
import io.ferry.proto.v1.GetContainerRequest;
import io.ferry.proto.v1.GetHostRequest;
import io.ferry.proto.v1.GetOperationRequest;
import io.ferry.proto.v1.HostServiceGrpc;
import io.ferry.proto.v1.HostState;
import io.ferry.proto.v1.LaunchRequest;
import io.ferry.proto.v1.Limits;
import io.ferry.proto.v1.Operation;
import io.ferry.proto.v1.OperationServiceGrpc;
import io.ferry.proto.v1.OperationState;
import io.ferry.proto.v1.RestoreHostRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host's evacuation and restore (HostService.Evacuate / Restore) against fake agents that keep
 * the migration contract: every container moves by its own migration, one that cannot move does
 * not stop the others and is reported, new launches avoid the draining host, a restore brings
 * the moved containers back, and an evacuation whose leader dies completes under the next one.
 */
class EvacuationApiIT {

  @TempDir Path dir;
  private FakeCluster cluster;

  @BeforeEach
  void startCluster() throws Exception {
    cluster = FakeCluster.start(dir);
  }

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  @Test
  void anEvacuationMovesWhatFitsReportsWhatDoesNotAndARestoreBringsThemBack() {
    launchOn("filler", 300, "host-2");
    launchOn("big", 800, "host-1");
    for (String name : List.of("a1", "a2", "a3")) {
      launchOn(name, 64, "host-1");
    }

    Operation evacuated = cluster.follow(1, hosts(1).evacuate(EvacuateHostRequest.newBuilder().setName("host-1").setParallel(2).build()));

    assertThat(evacuated.getKind()).isEqualTo("evacuate");
    assertThat(evacuated.getState()).isEqualTo(OperationState.OPERATION_STATE_FAILED);
    assertThat(evacuated.getError()).contains("1 of 4 containers did not move").contains("big");
    Map<String, ContainerMove> moves = evacuated.getEvacuation().getMovesList().stream()
        .collect(Collectors.toMap(ContainerMove::getContainer, m -> m));
    assertThat(moves).containsOnlyKeys("a1", "a2", "a3", "big");
    assertThat(moves.get("big").getState()).isEqualTo(ContainerMove.State.STATE_FAILED);
    assertThat(moves.get("big").getDetail()).contains("FAILED_PRECONDITION");
    for (String name : List.of("a1", "a2", "a3")) {
      ContainerMove m = moves.get(name);
      assertThat(m.getState()).as(m.toString()).isEqualTo(ContainerMove.State.STATE_MOVED);
      assertThat(m.getToHost()).isIn("host-2", "host-3");
      assertThat(hostOf(name)).isEqualTo(m.getToHost());
      assertThat(cluster.host(m.getToHost()).agent.containers.get(name).getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
      assertThat(cluster.host("host-1").agent.containers).doesNotContainKey(name);
    }
    assertThat(cluster.host("host-1").agent.containers.get("big").getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
    awaitHostState("host-1", HostState.HOST_STATE_EVACUATING);

    // A launch that names no host avoids the draining host; one that names it is refused.
    Operation placed = launch("new", 16, "");
    assertThat(placed.getState()).as(placed.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    assertThat(hostOf("new")).isNotEqualTo("host-1");
    StatusRuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> cluster.containers(0).launch(request("pinned", 16, "host-1")));
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);

    Operation restored = cluster.follow(0, hosts(0).restore(RestoreHostRequest.newBuilder().setName("host-1").build()));

    assertThat(restored.getState()).as(restored.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    assertThat(restored.getEvacuation().getMovesList()).extracting(ContainerMove::getContainer).containsExactly("a1", "a2", "a3");
    for (String name : List.of("a1", "a2", "a3")) {
      assertThat(hostOf(name)).isEqualTo("host-1");
      assertThat(cluster.host("host-1").agent.containers.get(name).getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
    }
    assertThat(hostOf("new")).as("what the evacuation did not move stays").isNotEqualTo("host-1");
    awaitHostState("host-1", HostState.HOST_STATE_ONLINE);
  }

  @Test
  void anEvacuationWhoseLeaderDiesCompletesUnderTheNextLeader() throws Exception {
    launchOn("b1", 64, "host-1");
    launchOn("b2", 64, "host-1");
    CountDownLatch hold = new CountDownLatch(1);
    cluster.host("host-1").agent.migration.holdTransfer = hold;
    int leader = cluster.leaderIndex();
    int follower = 1 - leader;
    Operation started = hosts(leader).evacuate(EvacuateHostRequest.newBuilder().setName("host-1").setParallel(1).build());
    await().atMost(Duration.ofSeconds(10)).until(() -> operation(follower, started.getId()).getEvacuation().getMovesList().stream()
        .anyMatch(m -> m.getState() == ContainerMove.State.STATE_MOVING));

    cluster.coordinators.get(leader).close();
    hold.countDown();
    cluster.host("host-1").agent.migration.holdTransfer = null;

    Operation ended = await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
        .until(() -> operation(follower, started.getId()), op -> op.getState() != OperationState.OPERATION_STATE_RUNNING);
    // The move in flight when the leader died may have rolled back (the new leader cannot know
    // how far it got); every container is in exactly one place either way, and none is lost.
    for (String name : List.of("b1", "b2")) {
      long copies = List.of("host-1", "host-2", "host-3").stream().filter(h -> cluster.host(h).agent.containers.containsKey(name)).count();
      assertThat(copies).as("copies of %s (%s)", name, ended).isEqualTo(1);
      String recorded = cluster.containers(follower).get(GetContainerRequest.newBuilder().setName(name).build()).getHost();
      assertThat(cluster.host(recorded).agent.containers.get(name).getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
    }
    Map<String, ContainerMove.State> states = ended.getEvacuation().getMovesList().stream()
        .collect(Collectors.toMap(ContainerMove::getContainer, ContainerMove::getState));
    assertThat(states.get("b2")).as("the move after the failover ran under the new leader").isEqualTo(ContainerMove.State.STATE_MOVED);
    assertThat(states.values()).doesNotContain(ContainerMove.State.STATE_PENDING, ContainerMove.State.STATE_MOVING);
  }

  @Test
  void badRequestsAreRefusedAndChangeNothing() {
    assertRefused(() -> hosts(0).evacuate(EvacuateHostRequest.newBuilder().setName("host-9").build()), Status.Code.NOT_FOUND, "no host host-9");
    assertRefused(() -> hosts(0).evacuate(EvacuateHostRequest.newBuilder().setName("Host_1").build()), Status.Code.INVALID_ARGUMENT, "host");
    assertRefused(() -> hosts(0).evacuate(EvacuateHostRequest.newBuilder().setName("host-1").setParallel(99).build()),
        Status.Code.INVALID_ARGUMENT, "parallel");
    assertRefused(() -> hosts(0).restore(RestoreHostRequest.newBuilder().setName("host-9").build()), Status.Code.NOT_FOUND, "no host host-9");
    awaitHostState("host-1", HostState.HOST_STATE_ONLINE);

    // A second evacuation of a host being evacuated is refused.
    launchOn("c1", 64, "host-1");
    CountDownLatch hold = new CountDownLatch(1);
    cluster.host("host-1").agent.migration.holdTransfer = hold;
    Operation first = hosts(0).evacuate(EvacuateHostRequest.newBuilder().setName("host-1").build());
    assertRefused(() -> hosts(1).evacuate(EvacuateHostRequest.newBuilder().setName("host-1").build()), Status.Code.ALREADY_EXISTS,
        "already being evacuated");
    hold.countDown();
    Operation done = cluster.follow(0, first);
    assertThat(done.getState()).as(done.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    awaitHostState("host-1", HostState.HOST_STATE_EVACUATED);
  }

  // ---- helpers ----

  private HostServiceGrpc.HostServiceBlockingStub hosts(int coordinator) {
    return HostServiceGrpc.newBlockingStub(cluster.channel(coordinator)).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static LaunchRequest request(String name, long memoryMiB, String host) {
    return LaunchRequest.newBuilder()
        .setSpec(ContainerSpec.newBuilder().setName(name).setImage("busybox").setLimits(Limits.newBuilder().setMemoryBytes(memoryMiB * MIB)))
        .setCpuMillis(100)
        .setTargetHost(host)
        .build();
  }

  private Operation launch(String name, long memoryMiB, String host) {
    return cluster.follow(0, cluster.containers(0).launch(request(name, memoryMiB, host)).getOperation());
  }

  private void launchOn(String name, long memoryMiB, String host) {
    Operation launched = launch(name, memoryMiB, host);
    assertThat(launched.getState()).as(launched.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    // The leader records the host's report of the container (needed to move it) on its next round.
    await().atMost(Duration.ofSeconds(10)).until(() ->
        cluster.containers(0).get(GetContainerRequest.newBuilder().setName(name).build()).getContainer().getState() == ContainerState.CONTAINER_STATE_RUNNING);
  }

  private String hostOf(String name) {
    return cluster.containers(0).get(GetContainerRequest.newBuilder().setName(name).build()).getHost();
  }

  private void awaitHostState(String host, HostState state) {
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() ->
        hosts(0).getHost(GetHostRequest.newBuilder().setName(host).build()).getState() == state);
  }

  private Operation operation(int coordinator, String id) {
    return OperationServiceGrpc.newBlockingStub(cluster.channel(coordinator)).getOperation(GetOperationRequest.newBuilder().setId(id).build());
  }

  private static void assertRefused(Runnable call, Status.Code code, String reason) {
    StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class, call::run);
    assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
    assertThat(e.getStatus().getDescription()).contains(reason);
  }
}
