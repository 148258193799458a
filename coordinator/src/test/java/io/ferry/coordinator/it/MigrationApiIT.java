package io.ferry.coordinator.it;

import static io.ferry.coordinator.it.FakeCluster.MIB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.GetContainerRequest;
import io.ferry.proto.v1.GetOperationRequest;
import io.ferry.proto.v1.Host;
import io.ferry.proto.v1.HostServiceGrpc;
import io.ferry.proto.v1.LaunchRequest;
import io.ferry.proto.v1.Limits;
import io.ferry.proto.v1.ListHostsRequest;
import io.ferry.proto.v1.MigrateRequest;
import io.ferry.proto.v1.MigrationMode;
import io.ferry.proto.v1.Operation;
import io.ferry.proto.v1.OperationServiceGrpc;
import io.ferry.proto.v1.OperationState;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator's half of a migration (ContainerService.Migrate) against fake agents that keep
 * the MigrationService contract: the placement and the reservations follow the container, every
 * refusal leaves everything as it was, a failed transfer rolls back, and a migration whose leader
 * dies mid-transfer ends with exactly one copy under the new leader.
 */
class MigrationApiIT {

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
  void aMigrationMovesTheContainerItsPlacementAndItsReservation() {
    launchOn("app", 128, "host-1");

    Operation moved = cluster.follow(1, cluster.containers(1).migrate(
        MigrateRequest.newBuilder().setName("app").setTargetHost("host-2").setMode(MigrationMode.MIGRATION_MODE_LIVE).build()));

    assertThat(moved.getState()).as(moved.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    assertThat(moved.getKind()).isEqualTo("migrate");
    assertThat(moved.getMigration().getResult().getModeUsed()).isEqualTo(MigrationMode.MIGRATION_MODE_LIVE);
    assertThat(moved.getMigration().getResult().getFrozenMillis()).isEqualTo(40);
    assertThat(cluster.containers(0).get(GetContainerRequest.newBuilder().setName("app").build()).getHost()).isEqualTo("host-2");
    assertThat(cluster.host("host-2").agent.containers.get("app").getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
    assertThat(cluster.host("host-1").agent.containers).doesNotContainKey("app");
    awaitAllocations(Map.of("host-1", 0L, "host-2", 128 * MIB, "host-3", 0L));
    assertThat(cluster.host("host-1").agent.migration.journal).isEmpty();
    assertThat(cluster.host("host-2").agent.migration.journal).isEmpty();
  }

  @Test
  void placementChoosesTheTargetAmongTheOtherHostsWhenNoneIsNamed() {
    launchOn("app", 128, "host-2");

    Operation moved = cluster.follow(0, cluster.containers(0).migrate(MigrateRequest.newBuilder().setName("app").build()));

    assertThat(moved.getState()).as(moved.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    String now = cluster.containers(0).get(GetContainerRequest.newBuilder().setName("app").build()).getHost();
    assertThat(now).isNotEqualTo("host-2");
    assertThat(cluster.host(now).agent.containers).containsKey("app");
  }

  @Test
  void refusalsCarryAReasonAndChangeNothing() {
    launchOn("big", 600, "host-1");

    assertRefused(MigrateRequest.newBuilder().setName("big").setTargetHost("host-1"), Status.Code.FAILED_PRECONDITION, "already runs on host-1");
    assertRefused(MigrateRequest.newBuilder().setName("big").setTargetHost("host-9"), Status.Code.NOT_FOUND, "no host host-9");
    assertRefused(MigrateRequest.newBuilder().setName("nope").setTargetHost("host-2"), Status.Code.NOT_FOUND, "no container nope");
    assertRefused(MigrateRequest.newBuilder().setName("big").setTargetHost("host-3"), Status.Code.FAILED_PRECONDITION, "host-3");
    assertRefused(
        MigrateRequest.newBuilder().setName("big").setTargetHost("host-2").setMode(MigrationMode.MIGRATION_MODE_PRE_COPY),
        Status.Code.FAILED_PRECONDITION,
        "mem_dirty_track");
    cluster.host("host-2").agent.migration.refusePrepare = "not enough disk for the rootfs";
    assertRefused(MigrateRequest.newBuilder().setName("big").setTargetHost("host-2"), Status.Code.FAILED_PRECONDITION, "not enough disk for the rootfs");

    awaitAllocations(Map.of("host-1", 600 * MIB, "host-2", 0L, "host-3", 0L));
    assertThat(cluster.host("host-1").agent.containers.get("big").getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
    assertThat(cluster.host("host-2").agent.containers).isEmpty();

    // Nothing was left holding the container: it can move once the target accepts.
    cluster.host("host-2").agent.migration.refusePrepare = null;
    Operation moved = cluster.follow(0, cluster.containers(0).migrate(MigrateRequest.newBuilder().setName("big").setTargetHost("host-2").build()));
    assertThat(moved.getState()).as(moved.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    awaitAllocations(Map.of("host-1", 0L, "host-2", 600 * MIB, "host-3", 0L));
  }

  @Test
  void aFailedTransferRollsBackToTheSourceAndGivesTheTargetsRoomBack() {
    launchOn("app", 128, "host-1");
    cluster.host("host-1").agent.migration.failTransfer = true;

    Operation failed = cluster.follow(0, cluster.containers(0).migrate(MigrateRequest.newBuilder().setName("app").setTargetHost("host-2").build()));

    assertThat(failed.getState()).isEqualTo(OperationState.OPERATION_STATE_FAILED);
    assertThat(failed.getError()).contains("injected transfer failure");
    assertThat(cluster.containers(0).get(GetContainerRequest.newBuilder().setName("app").build()).getHost()).isEqualTo("host-1");
    assertThat(cluster.host("host-1").agent.containers.get("app").getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
    assertThat(cluster.host("host-2").agent.containers).isEmpty();
    awaitAllocations(Map.of("host-1", 128 * MIB, "host-2", 0L, "host-3", 0L));
  }

  @Test
  void aMigrationWhoseLeaderDiesMidTransferEndsWithExactlyOneCopy() throws Exception {
    launchOn("app", 128, "host-1");
    CountDownLatch hold = new CountDownLatch(1);
    cluster.host("host-1").agent.migration.holdTransfer = hold;
    int leader = cluster.leaderIndex();
    int follower = 1 - leader;
    Operation started = cluster.containers(leader).migrate(MigrateRequest.newBuilder().setName("app").setTargetHost("host-2").build());
    await().atMost(Duration.ofSeconds(10)).until(() -> operation(follower, started.getId()).getPhase().startsWith("syncing"));

    cluster.coordinators.get(leader).close();
    hold.countDown();

    Operation ended = await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
        .until(() -> operation(follower, started.getId()), op -> op.getState() != OperationState.OPERATION_STATE_RUNNING);
    boolean onSource = cluster.host("host-1").agent.containers.containsKey("app");
    boolean onTarget = cluster.host("host-2").agent.containers.containsKey("app");
    assertThat(onSource ^ onTarget).as("exactly one copy: on host-1 %s, on host-2 %s (%s)", onSource, onTarget, ended).isTrue();
    String recorded = cluster.containers(follower).get(GetContainerRequest.newBuilder().setName("app").build()).getHost();
    assertThat(recorded).isEqualTo(onSource ? "host-1" : "host-2");
    assertThat(cluster.host(recorded).agent.containers.get("app").getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
    assertThat(ended.getState()).isEqualTo(onSource ? OperationState.OPERATION_STATE_FAILED : OperationState.OPERATION_STATE_SUCCEEDED);
    awaitAllocations(onSource ? Map.of("host-1", 128 * MIB, "host-2", 0L, "host-3", 0L) : Map.of("host-1", 0L, "host-2", 128 * MIB, "host-3", 0L), follower);
  }

  // ---- helpers ----

  private void launchOn(String name, long memoryMiB, String host) {
    LaunchRequest request = LaunchRequest.newBuilder()
        .setSpec(ContainerSpec.newBuilder().setName(name).setImage("busybox").setLimits(Limits.newBuilder().setMemoryBytes(memoryMiB * MIB)))
        .setCpuMillis(100)
        .setTargetHost(host)
        .build();
    Operation launched = cluster.follow(0, cluster.containers(0).launch(request).getOperation());
    assertThat(launched.getState()).as(launched.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    // The leader records the host's report of the container (needed to move it) on its next round.
    await().atMost(Duration.ofSeconds(10)).until(() ->
        cluster.containers(0).get(GetContainerRequest.newBuilder().setName(name).build()).getContainer().getState() == ContainerState.CONTAINER_STATE_RUNNING);
  }

  private void assertRefused(MigrateRequest.Builder request, Status.Code code, String reason) {
    try {
      cluster.containers(1).migrate(request.build());
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
      assertThat(e.getStatus().getDescription()).contains(reason);
      return;
    }
    throw new AssertionError("migrating " + request.getName() + " to " + request.getTargetHost() + " was not refused");
  }

  private Operation operation(int coordinator, String id) {
    return OperationServiceGrpc.newBlockingStub(cluster.channel(coordinator)).getOperation(GetOperationRequest.newBuilder().setId(id).build());
  }

  private void awaitAllocations(Map<String, Long> memory) {
    awaitAllocations(memory, 0);
  }

  private void awaitAllocations(Map<String, Long> memory, int coordinator) {
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(HostServiceGrpc.newBlockingStub(cluster.channel(coordinator)).listHosts(ListHostsRequest.getDefaultInstance()).getHostsList().stream()
            .collect(Collectors.toMap(Host::getName, Host::getAllocatedMemoryBytes)))
            .isEqualTo(memory));
  }
}
