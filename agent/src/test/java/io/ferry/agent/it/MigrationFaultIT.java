package io.ferry.agent.it;

import static io.ferry.agent.it.MigrationDriver.assertNothingOn;
import static io.ferry.agent.it.MigrationDriver.awaitCountPast;
import static io.ferry.agent.it.MigrationDriver.count;
import static io.ferry.agent.it.MigrationDriver.migrate;
import static io.ferry.agent.it.MigrationDriver.newId;
import static io.ferry.agent.it.MigrationDriver.startCounter;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.agent.it.MigrationCluster.Host;
import io.ferry.agent.it.MigrationDriver.Count;
import io.ferry.agent.it.MigrationDriver.Run;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.MigrationMode;
import io.ferry.proto.v1.MigrationPhase;
import io.ferry.proto.v1.MigrationRef;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failures injected into live migrations between two agent processes: the target fails its
 * restore, breaks or stalls the stream, runs out of its quota, the source times out, either agent
 * is killed in the middle. Each leaves exactly one running copy, on the source (the same process:
 * its random id is unchanged and it keeps counting, its link is up), and nothing of the container
 * or the migration on the target once the coordinator's abort went through.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MigrationFaultIT {

  private static final Logger log = LoggerFactory.getLogger(MigrationFaultIT.class);

  /** The source streams every live dump's pages (by default only those of containers using 32 MiB). */
  private static final Map<String, String> STREAMING = Map.of("migration.stream-pages-above", "0");

  private MigrationCluster cluster;
  private final Map<Host, Map<String, String>> settings = new HashMap<>();

  @RegisterExtension
  final TestWatcher dumpOnFailure = new TestWatcher() {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      log.error("{} failed; cluster state:{}", context.getDisplayName(), cluster == null ? " none" : cluster.dump());
      if (cluster != null) {
        cluster.failed = true;
        log.error("state and logs kept in {}", cluster.root);
      }
    }
  };

  @BeforeAll
  void startCluster() throws Exception {
    Path root = Files.createTempDirectory("ferry-mig-fault-it");
    cluster = new MigrationCluster(root).start(Map.of(), Map.of());
    settings.put(cluster.a, Map.of());
    settings.put(cluster.b, Map.of());
    cluster.a.importImage("busybox.tar.zst", "busybox");
    cluster.b.importImage("busybox.tar.zst", "busybox");
  }

  @AfterAll
  void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void deleteContainers() {
    cluster.a.deleteContainers();
    cluster.b.deleteContainers();
  }

  /** Restarts the agents whose settings differ from what they run with. */
  private void configure(Map<String, String> a, Map<String, String> b) throws Exception {
    for (var e : Map.of(cluster.a, a, cluster.b, b).entrySet()) {
      if (!settings.get(e.getKey()).equals(e.getValue()) || e.getKey().process == null || !e.getKey().process.isAlive()) {
        e.getKey().restart(e.getValue());
        settings.put(e.getKey(), e.getValue());
      }
    }
  }

  @Test
  void aTargetThatFailsItsRestoreLeavesTheContainerRunningOnTheSource() throws Exception {
    configure(STREAMING, Map.of("migration.fault-injection", "target-restore"));
    failLive("box-restore", Status.Code.INTERNAL, "injected");
  }

  @Test
  void aBrokenStreamRollsBack() throws Exception {
    configure(Map.of(), Map.of("migration.fault-injection", "target-receive-break"));
    failLive("box-break", Status.Code.UNAVAILABLE, "stream broken");
  }

  @Test
  void aTargetOutOfItsDiskQuotaRollsBack() throws Exception {
    configure(Map.of(), Map.of("migration.max-incoming-bytes", "1KiB"));
    failLive("box-quota", Status.Code.RESOURCE_EXHAUSTED, "limit");
  }

  @Test
  void aTransferPastItsTimeoutRollsBack() throws Exception {
    configure(Map.of("migration.timeout", "4s"), Map.of("migration.fault-injection", "target-receive-stall"));
    failLive("box-timeout", Status.Code.DEADLINE_EXCEEDED, "");
  }

  @Test
  void aLiveDumpThatFailsFallsBackToNearLiveWithAuto() throws Exception {
    configure(Map.of("migration.fault-injection", "source-dump"), Map.of());
    String name = "box-fallback";
    startCounter(cluster.a, name);
    String id = newId("fallback");
    Run run = migrate(id, name, cluster.a, cluster.b, MigrationMode.MIGRATION_MODE_AUTO, true);
    assertThat(run.error()).isNull();
    assertThat(run.result().getModeUsed()).isEqualTo(MigrationMode.MIGRATION_MODE_NEAR_LIVE);
    assertThat(run.result().getFallbackReason()).contains("dump failed", "injected", "near-live");
    MigrationDriver.commit(id, cluster.a, cluster.b);
    assertThat(cluster.b.agent().getContainer(MigrationCluster.ref(name)).getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
    assertThat(cluster.b.exec(name, "cat", "/data/kept.txt")).isEqualTo("written-before-the-move\n");
    assertNothingOn(cluster.a, name, id);
  }

  @Test
  void aTargetKilledMidTransferLeavesTheSourceRunningAndDiscardsWhenTheCoordinatorAborts() throws Exception {
    // The pages are streamed (even for this small container): the stall is on the images after them.
    configure(STREAMING, Map.of("migration.fault-injection", "target-receive-stall"));
    String name = "box-killtarget";
    startCounter(cluster.a, name);
    Count before = MigrationDriver.currentCount(cluster.a, name);
    String id = newId("killtarget");
    CompletableFuture<Run> running = CompletableFuture.supplyAsync(
        () -> migrate(id, name, cluster.a, cluster.b, MigrationMode.MIGRATION_MODE_LIVE, true));
    awaitPhase(cluster.a, id, MigrationPhase.MIGRATION_PHASE_TRANSFERRING_MEMORY);
    assertThat(cluster.a.agent().getContainer(MigrationCluster.ref(name)).getState()).isEqualTo(ContainerState.CONTAINER_STATE_FROZEN);

    cluster.b.kill();
    Run run = running.get(60, TimeUnit.SECONDS);
    assertThat(run.error()).as("the migration failed").isNotNull();
    assertRunsOnlyOnSource(name, before);

    configure(Map.of(), Map.of());
    MigrationRef ref = MigrationRef.newBuilder().setMigrationId(id).build();
    assertThat(cluster.b.migration().getMigration(ref).getPhase())
        .as("the restarted target kept what it received until told").isEqualTo(MigrationPhase.MIGRATION_PHASE_TRANSFERRING_MEMORY);
    MigrationDriver.abort(id, cluster.a, cluster.b);
    assertNothingOn(cluster.b, name, id);
    assertThat(cluster.b.migration().getMigration(ref).getPhase()).isEqualTo(MigrationPhase.MIGRATION_PHASE_ABORTED);
  }

  @Test
  void aSourceAgentKilledMidTransferResumesItsFrozenContainerWhenItRestarts() throws Exception {
    configure(STREAMING, Map.of("migration.fault-injection", "target-receive-stall"));
    String name = "box-killsource";
    startCounter(cluster.a, name);
    Count before = MigrationDriver.currentCount(cluster.a, name);
    String id = newId("killsource");
    CompletableFuture<Run> running = CompletableFuture.supplyAsync(
        () -> migrate(id, name, cluster.a, cluster.b, MigrationMode.MIGRATION_MODE_LIVE, true));
    awaitPhase(cluster.a, id, MigrationPhase.MIGRATION_PHASE_TRANSFERRING_MEMORY);
    assertThat(cluster.a.linkUp(name)).as("frozen with its link down").isFalse();

    cluster.a.kill();
    assertThat(running.get(60, TimeUnit.SECONDS).error()).isNotNull();
    assertThat(cluster.a.runcStatus(name)).as("still frozen while no agent runs").isEqualTo("paused");

    cluster.a.start(settings.get(cluster.a));
    assertRunsOnlyOnSource(name, before);
    assertThat(cluster.a.migration().getMigration(MigrationRef.newBuilder().setMigrationId(id).build()).getPhase())
        .isEqualTo(MigrationPhase.MIGRATION_PHASE_ABORTED);
    assertNothingOn(cluster.b, name, id);
  }

  @Test
  void aTargetThatDiesBeforeConfirmingItsRestoreLeavesTheSourceFrozenUntilTheTargetDiscardedItsCopy() throws Exception {
    configure(Map.of(), Map.of("migration.fault-injection", "target-crash-after-restore"));
    String name = "box-doubt";
    startCounter(cluster.a, name);
    Count before = MigrationDriver.currentCount(cluster.a, name);
    String id = newId("doubt");

    Run run = migrate(id, name, cluster.a, cluster.b, MigrationMode.MIGRATION_MODE_LIVE, true);
    assertThat(run.error()).as("the restore got no answer").isNotNull();
    assertThat(run.error().getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(run.error().getStatus().getDescription()).contains("in doubt");
    await().atMost(Duration.ofSeconds(10)).until(() -> !cluster.b.process.isAlive());
    MigrationRef ref = MigrationRef.newBuilder().setMigrationId(id).build();
    assertThat(cluster.a.migration().getMigration(ref).getPhase()).isEqualTo(MigrationPhase.MIGRATION_PHASE_IN_DOUBT);
    assertThat(cluster.b.runcKnows(name)).as("the target's restored copy runs without its agent").isTrue();
    assertThat(cluster.a.agent().getContainer(MigrationCluster.ref(name)).getState())
        .as("so the source must not resume").isEqualTo(ContainerState.CONTAINER_STATE_FROZEN);
    assertThat(cluster.a.linkUp(name)).isFalse();

    // The target comes back: it discards what it never confirmed; the source then resumes by itself.
    settings.put(cluster.b, Map.of());
    cluster.b.start(Map.of());
    assertRunsOnlyOnSource(name, before);
    assertThat(cluster.b.migration().getMigration(ref).getPhase()).isEqualTo(MigrationPhase.MIGRATION_PHASE_ABORTED);
    assertThat(cluster.a.migration().getMigration(ref).getPhase()).isEqualTo(MigrationPhase.MIGRATION_PHASE_ABORTED);
    assertNothingOn(cluster.b, name, id);
  }

  private void failLive(String name, Status.Code code, String words) throws Exception {
    startCounter(cluster.a, name);
    Count before = MigrationDriver.currentCount(cluster.a, name);
    String id = newId(name);

    Run run = migrate(id, name, cluster.a, cluster.b, MigrationMode.MIGRATION_MODE_LIVE, true);
    assertThat(run.error()).as("the migration failed").isNotNull();
    StatusRuntimeException error = run.error();
    assertThat(error.getStatus().getCode()).as(error.getStatus().toString()).isEqualTo(code);
    assertThat(error.getStatus().getDescription()).contains(words);
    assertRunsOnlyOnSource(name, before);
    MigrationDriver.abort(id, cluster.a, cluster.b);
    assertNothingOn(cluster.b, name, id);
    assertThat(cluster.a.journal(id, "source")).doesNotExist();
  }

  /** One running copy, on the source: the same process, counting, its link up; none on the target. */
  private void assertRunsOnlyOnSource(String name, Count before) {
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
        cluster.a.agent().getContainer(MigrationCluster.ref(name)).getState() == ContainerState.CONTAINER_STATE_RUNNING);
    Count after = awaitCountPast(cluster.a, name, MigrationDriver.currentCount(cluster.a, name).value() + 5);
    assertThat(after.id()).as("the same process as before the migration").isEqualTo(before.id());
    assertThat(cluster.a.linkUp(name)).as("its link is up again").isTrue();
    if (cluster.b.process.isAlive()) {
      assertThat(cluster.b.agent().listContainers(io.ferry.proto.v1.ListContainersRequest.getDefaultInstance()).getContainersList())
          .noneMatch(c -> c.getSpec().getName().equals(name));
    }
    assertThat(cluster.b.runcKnows(name)).as("no runc container on the target").isFalse();
  }

  private static void awaitPhase(Host host, String id, MigrationPhase phase) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() ->
        host.migration().getMigration(MigrationRef.newBuilder().setMigrationId(id).build()).getPhase() == phase);
  }

  static void delete(Host host, String name) {
    host.agent().deleteContainer(DeleteContainerRequest.newBuilder().setName(name).setForce(true).build());
  }
}
