package io.ferry.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.proto.v1.ContainerMove;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.EvacuateHostRequest;
import io.ferry.proto.v1.GetContainerRequest;
import io.ferry.proto.v1.GetHostRequest;
import io.ferry.proto.v1.GetOperationRequest;
import io.ferry.proto.v1.MigrationMode;
import io.ferry.proto.v1.HostServiceGrpc;
import io.ferry.proto.v1.HostState;
import io.ferry.proto.v1.LaunchRequest;
import io.ferry.proto.v1.Operation;
import io.ferry.proto.v1.OperationState;
import io.ferry.proto.v1.RestoreHostRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host's evacuation and restore end to end: ZooKeeper, two coordinators, three agents in their
 * own simulated hosts on the overlay, real runc and CRIU. Three busybox counters on host-1 move away
 * (auto mode: live here), each keeping its process (its count goes on, it never restarts from 1),
 * with exactly one running copy of each afterwards; host-1 shows EVACUATED; a restore brings all
 * three back, again without restarting them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(DumpOnFailure.class)
class ClusterEvacuationIT implements DumpOnFailure.HasCluster {

  /** Counts in /tmp/count every 100 ms from 1 (written aside and renamed: never read empty); a restart would start over. */
  private static final String COUNTER =
      "i=0; while true; do i=$((i+1)); echo $i > /tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.1; done";
  private static final List<String> NAMES = List.of("e1", "e2", "e3");

  @TempDir static Path dir;
  private LocalCluster cluster;
  private ClusterClient client;

  @Override
  public LocalCluster cluster() {
    return cluster;
  }

  @BeforeAll
  void startCluster() throws Exception {
    cluster = LocalCluster.startStandard("evac", dir, 70, host -> Map.of());
    client = new ClusterClient(cluster.coordinatorChannel("c1"));
  }

  @AfterAll
  void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void anEvacuatedHostsContainersRunElsewhereWithoutRestartingAndComeBackOnRestore() {
    for (String name : NAMES) {
      launch(name);
    }
    Map<String, Long> before = counts();

    Operation evacuated = client.follow(hosts().evacuate(EvacuateHostRequest.newBuilder().setName("host-1").setParallel(2).build()));

    assertThat(evacuated.getState()).as(evacuated.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    assertThat(evacuated.getEvacuation().getMovesList()).extracting(ContainerMove::getContainer).containsExactlyElementsOf(NAMES);
    for (ContainerMove m : evacuated.getEvacuation().getMovesList()) {
      assertThat(m.getState()).as(m.toString()).isEqualTo(ContainerMove.State.STATE_MOVED);
      assertThat(m.getToHost()).isIn("host-2", "host-3");
      assertThat(cluster.hostsRunning(m.getContainer())).as("hosts running %s", m.getContainer()).containsExactly(m.getToHost());
      assertMovedLive(m);
    }
    assertCountsWentOn(before);
    await().atMost(Duration.ofSeconds(20)).until(() -> hostState("host-1") == HostState.HOST_STATE_EVACUATED);

    Map<String, Long> moved = counts();
    Operation restored = client.follow(hosts().restore(RestoreHostRequest.newBuilder().setName("host-1").build()));

    assertThat(restored.getState()).as(restored.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    for (String name : NAMES) {
      assertThat(cluster.hostsRunning(name)).as("hosts running %s", name).containsExactly("host-1");
      assertThat(host(name)).isEqualTo("host-1");
    }
    restored.getEvacuation().getMovesList().forEach(this::assertMovedLive);
    assertCountsWentOn(moved);
    await().atMost(Duration.ofSeconds(20)).until(() -> hostState("host-1") == HostState.HOST_STATE_ONLINE);
  }

  // ---- helpers ----

  /** Its own migration kept its processes (auto chose live here): nothing restarted. */
  private void assertMovedLive(ContainerMove m) {
    Operation own = client.operations().getOperation(GetOperationRequest.newBuilder().setId(m.getOperationId()).build());
    assertThat(own.getMigration().getResult().getModeUsed()).as("mode used to move %s", m.getContainer())
        .isIn(MigrationMode.MIGRATION_MODE_LIVE, MigrationMode.MIGRATION_MODE_POST_COPY);
  }

  private HostServiceGrpc.HostServiceBlockingStub hosts() {
    return HostServiceGrpc.newBlockingStub(cluster.coordinatorChannel("c1")).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  private void launch(String name) {
    LaunchRequest request = ClusterClient.busybox(name, 64, 100).toBuilder().setTargetHost("host-1").build();
    request = request.toBuilder().setSpec(request.getSpec().toBuilder().clearCommand().addAllCommand(List.of("/bin/sh", "-c", COUNTER)))
        .build();
    Operation done = client.follow(client.containers().launch(request).getOperation());
    assertThat(done.getState()).as(done.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    // A move needs the host's report of the container, recorded on the leader's next round.
    await().atMost(Duration.ofSeconds(20)).until(() -> client.containers().get(GetContainerRequest.newBuilder().setName(name).build())
        .getContainer().getState() == ContainerState.CONTAINER_STATE_RUNNING);
  }

  private String host(String name) {
    return client.containers().get(GetContainerRequest.newBuilder().setName(name).build()).getHost();
  }

  private HostState hostState(String name) {
    return hosts().getHost(GetHostRequest.newBuilder().setName(name).build()).getState();
  }

  private Map<String, Long> counts() {
    Map<String, Long> counts = new HashMap<>();
    for (String name : NAMES) {
      counts.put(name, count(name));
    }
    return counts;
  }

  private long count(String name) {
    String out = ContainerShell.exec(cluster.agentChannel(host(name)), name, "cat", "/tmp/count").output().strip();
    return out.isEmpty() ? 0 : Long.parseLong(out);
  }

  /** Each counter goes on past where it was: the process moved, it did not start over. */
  private void assertCountsWentOn(Map<String, Long> before) {
    for (String name : NAMES) {
      await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() ->
          assertThat(count(name)).as("count of %s after the move (was %d)", name, before.get(name)).isGreaterThan(before.get(name)));
    }
  }
}
