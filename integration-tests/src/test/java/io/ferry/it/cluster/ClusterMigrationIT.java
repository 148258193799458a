package io.ferry.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.proto.v1.ClusterContainer;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.GetContainerRequest;
import io.ferry.proto.v1.LaunchRequest;
import io.ferry.proto.v1.MigrateRequest;
import io.ferry.proto.v1.MigrationMode;
import io.ferry.proto.v1.MigrationResult;
import io.ferry.proto.v1.Operation;
import io.ferry.proto.v1.OperationState;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live migration through the public API, end to end: ZooKeeper, two coordinators and three agents
 * each in its own simulated host (network namespace) on the cluster overlay, real runc and CRIU.
 * A busybox server on host-1 counts in a file and streams lines over TCP to a client container on
 * host-3; the server moves live to host-2 and keeps its count, its address and the client's
 * connection (the client never reconnects: it records its exit if the connection ever ends); it
 * then moves back post-copy, the connection still up.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(DumpOnFailure.class)
class ClusterMigrationIT implements DumpOnFailure.HasCluster {

  /**
   * Counts in /tmp/count every 100 ms (written aside and renamed: a read never finds it empty, as
   * it could between a truncation and a write; a read right after a move did), and serves one TCP
   * client a line every 200 ms.
   */
  private static final String SERVER =
      "(i=0; while true; do i=$((i+1)); echo $i > /tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.1; done) & "
          + "while true; do date; sleep 0.2; done | nc -l -p 7000";

  @TempDir static Path dir;
  private LocalCluster cluster;
  private ClusterClient client;

  @Override
  public LocalCluster cluster() {
    return cluster;
  }

  @BeforeAll
  void startCluster() throws Exception {
    cluster = LocalCluster.startStandard("move", dir, 60, host -> Map.of());
    client = new ClusterClient(cluster.coordinatorChannel("c2"));
  }

  @AfterAll
  void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void aLiveMoveKeepsTheProcessesTheAddressAndAnEstablishedConnectionFromAThirdHost() {
    launch("srv", "host-1", SERVER);
    String address = get("srv").getNetwork().getAddress();
    // The client retries only until data first arrives; after that, an ended connection is final.
    launch("cli", "host-3",
        // nc's stdin stays open: a busybox nc whose stdin has ended closes the connection once the
        // other side goes quiet for a moment, as it does during a move's freeze.
        "while true; do sleep 1000000 | nc " + address + " 7000 > /tmp/got; if [ -s /tmp/got ]; then echo ended > /tmp/nc-exit; break; fi; sleep 0.3; done; "
            + "while true; do sleep 1; done");
    await().atMost(Duration.ofSeconds(20)).until(() -> lines("host-3", "cli") >= 5);
    long countBefore = count("host-1", "srv");
    assertThat(countBefore).isGreaterThanOrEqualTo(10);

    Operation moved = client.follow(client.containers().migrate(
        MigrateRequest.newBuilder().setName("srv").setTargetHost("host-2").setMode(MigrationMode.MIGRATION_MODE_LIVE).build()));

    assertThat(moved.getState()).as(moved.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    MigrationResult result = moved.getMigration().getResult();
    assertThat(result.getModeUsed()).isEqualTo(MigrationMode.MIGRATION_MODE_LIVE);
    assertThat(result.getFrozenMillis()).isPositive();
    assertThat(result.getMemoryBytes()).isPositive();
    System.out.printf("live move: total %d ms, frozen %d ms, memory %d B, rootfs %d B%n",
        result.getTotalMillis(), result.getFrozenMillis(), result.getMemoryBytes(), result.getRootfsBytes());

    ClusterContainer after = get("srv");
    assertThat(after.getHost()).isEqualTo("host-2");
    assertThat(after.getNetwork().getAddress()).isEqualTo(address);
    assertThat(runningOn("srv")).containsExactly("host-2");
    // Not restarted: a new counter would have started again from 1 and be far below.
    long countAfter = count("host-2", "srv");
    assertThat(countAfter).isGreaterThanOrEqualTo(countBefore);
    await().atMost(Duration.ofSeconds(5)).until(() -> count("host-2", "srv") > countAfter);
    assertThat(ContainerShell.exec(cluster.agentChannel("host-2"), "srv", "ip", "-4", "-o", "addr", "show", "eth0").output()).contains(address + "/");

    // The client on host-3 keeps receiving on its one connection.
    int received = lines("host-3", "cli");
    await().atMost(Duration.ofSeconds(15)).until(() -> lines("host-3", "cli") >= received + 10);
    assertThat(ContainerShell.exec(cluster.agentChannel("host-3"), "cli", "cat", "/tmp/nc-exit").exitCode())
        .as("the client's connection never ended").isNotZero();
  }

  @Test
  @Order(2)
  void aPostCopyMoveKeepsTheConnectionToo() {
    long countBefore = count("host-2", "srv");
    int received = lines("host-3", "cli");

    Operation moved = client.follow(client.containers().migrate(
        MigrateRequest.newBuilder().setName("srv").setTargetHost("host-1").setMode(MigrationMode.MIGRATION_MODE_POST_COPY).build()));

    assertThat(moved.getState()).as(moved.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    assertThat(moved.getMigration().getResult().getModeUsed()).isEqualTo(MigrationMode.MIGRATION_MODE_POST_COPY);
    System.out.printf("post-copy move: total %d ms, frozen %d ms%n",
        moved.getMigration().getResult().getTotalMillis(), moved.getMigration().getResult().getFrozenMillis());
    assertThat(runningOn("srv")).containsExactly("host-1");
    assertThat(count("host-1", "srv")).isGreaterThanOrEqualTo(countBefore);
    await().atMost(Duration.ofSeconds(15)).until(() -> lines("host-3", "cli") >= received + 10);
    assertThat(ContainerShell.exec(cluster.agentChannel("host-3"), "cli", "cat", "/tmp/nc-exit").exitCode())
        .as("the client's connection never ended").isNotZero();
  }

  @Test
  @Order(3)
  void aColdMoveRestartsTheContainerOnTheTargetWithItsFiles() {
    launch("cold", "host-1", "echo kept > /root/mark; while true; do sleep 1; done");
    await().atMost(Duration.ofSeconds(10)).until(() ->
        ContainerShell.exec(cluster.agentChannel("host-1"), "cold", "cat", "/root/mark").output().contains("kept"));

    Operation moved = client.follow(client.containers().migrate(
        MigrateRequest.newBuilder().setName("cold").setTargetHost("host-3").setMode(MigrationMode.MIGRATION_MODE_COLD).build()));

    assertThat(moved.getState()).as(moved.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    assertThat(moved.getMigration().getResult().getModeUsed()).isEqualTo(MigrationMode.MIGRATION_MODE_COLD);
    assertThat(runningOn("cold")).containsExactly("host-3");
    assertThat(ContainerShell.exec(cluster.agentChannel("host-3"), "cold", "cat", "/root/mark").output()).contains("kept");
  }

  @Test
  @Order(4)
  void preCopyIsRefusedWithTheMissingFeatureAndChangesNothing() {
    try {
      client.containers().migrate(
          MigrateRequest.newBuilder().setName("srv").setTargetHost("host-2").setMode(MigrationMode.MIGRATION_MODE_PRE_COPY).build());
      throw new AssertionError("a pre-copy move was not refused on a kernel without soft-dirty tracking");
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(e.getStatus().getDescription()).contains("mem_dirty_track");
    }
    assertThat(runningOn("srv")).containsExactly("host-1");
    assertThat(get("srv").getHost()).isEqualTo("host-1");
  }

  @Test
  @Order(5)
  void theCliMovesAContainerAndReportsTheResult() {
    ClusterLifecycleIT.Cli cli = new ClusterLifecycleIT.Cli(cluster.coordinatorAddresses(), cluster.admin());

    int code = cli.run("move", "cold", "--target", "host-1", "--mode", "near-live");

    assertThat(code).as(cli.err()).isZero();
    assertThat(cli.out()).contains("cold moved: near-live");
    assertThat(runningOn("cold")).containsExactly("host-1");
    assertThat(cli.run("move", "cold", "--mode", "sideways")).isEqualTo(2);
    assertThat(cli.err()).contains("unknown mode 'sideways'");
  }

  @Test
  @Order(6)
  void aLiveMoveWhoseLeaderIsKilledEndsWithExactlyOneRunningCopy() throws Exception {
    launch("ha", "host-2", "i=0; while true; do i=$((i+1)); echo $i > /tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.1; done");
    await().atMost(Duration.ofSeconds(30)).until(() -> cluster.leaderId().isPresent());
    String leader = cluster.leaderId().orElseThrow();
    String survivor = cluster.coordinatorIds().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
    ClusterClient leading = new ClusterClient(cluster.coordinatorChannel(leader));
    ClusterClient surviving = new ClusterClient(cluster.coordinatorChannel(survivor));

    Operation started = leading.containers().migrate(
        MigrateRequest.newBuilder().setName("ha").setTargetHost("host-3").setMode(MigrationMode.MIGRATION_MODE_LIVE).build());
    cluster.coordinator(leader).kill();

    // The survivor leads, settles the migration (commits or rolls back), and ends the operation.
    Operation ended = await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(
        () -> surviving.operations().getOperation(io.ferry.proto.v1.GetOperationRequest.newBuilder().setId(started.getId()).build()),
        ClusterClient::ended);
    List<String> running = runningOn("ha");
    System.out.printf("leader %s killed during a live move: the operation ended %s, ha runs on %s%n", leader, ended.getState(), running);
    assertThat(running).as("hosts running ha after %s", ended).hasSize(1);
    String recorded = surviving.containers().get(GetContainerRequest.newBuilder().setName("ha").build()).getHost();
    assertThat(recorded).isEqualTo(running.get(0));
    assertThat(ended.getState()).isEqualTo(recorded.equals("host-3") ? OperationState.OPERATION_STATE_SUCCEEDED
        : OperationState.OPERATION_STATE_FAILED);
    // Its process went on (live, or rolled back to its frozen source): the count keeps rising.
    long now = count(recorded, "ha");
    await().atMost(Duration.ofSeconds(20)).until(() -> count(recorded, "ha") > now);
  }

  // ---- helpers ----

  private void launch(String name, String host, String script) {
    LaunchRequest request = ClusterClient.busybox(name, 64, 100).toBuilder().setTargetHost(host).build();
    request = request.toBuilder().setSpec(request.getSpec().toBuilder().clearCommand().addAllCommand(List.of("/bin/sh", "-c", script))).build();
    Operation done = client.follow(client.containers().launch(request).getOperation());
    assertThat(done.getState()).as(done.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    // A move needs the host's report of the container, recorded on the leader's next round.
    await().atMost(Duration.ofSeconds(20)).until(() -> get(name).getContainer().getState() == ContainerState.CONTAINER_STATE_RUNNING);
  }

  private ClusterContainer get(String name) {
    return client.containers().get(GetContainerRequest.newBuilder().setName(name).build());
  }

  private List<String> runningOn(String name) {
    return cluster.hostsRunning(name);
  }

  private long count(String host, String container) {
    String out = ContainerShell.exec(cluster.agentChannel(host), container, "cat", "/tmp/count").output().strip();
    return out.isEmpty() ? 0 : Long.parseLong(out);
  }

  private int lines(String host, String container) {
    String out = ContainerShell.exec(cluster.agentChannel(host), container, "wc", "-l", "/tmp/got").output().strip();
    return out.isEmpty() || !Character.isDigit(out.charAt(0)) ? 0 : Integer.parseInt(out.split("\\s+")[0]);
  }
}
