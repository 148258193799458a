package io.ferry.agent.it;

import static io.ferry.agent.it.MigrationDriver.assertNothingOn;
import static io.ferry.agent.it.MigrationDriver.awaitCountPast;
import static io.ferry.agent.it.MigrationDriver.commit;
import static io.ferry.agent.it.MigrationDriver.count;
import static io.ferry.agent.it.MigrationDriver.migrate;
import static io.ferry.agent.it.MigrationDriver.newId;
import static io.ferry.agent.it.MigrationDriver.startCounter;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ferry.agent.it.MigrationDriver.Count;
import io.ferry.agent.it.MigrationDriver.Run;
import io.ferry.agent.it.MigrationDriver.TcpClient;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.Image;
import io.ferry.proto.v1.ListContainersRequest;
import io.ferry.proto.v1.ListImagesRequest;
import io.ferry.proto.v1.MigrationMode;
import io.ferry.proto.v1.MigrationPhase;
import io.ferry.proto.v1.MigrationProgress;
import io.ferry.proto.v1.MigrationRef;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every mode moves a busybox container between two simulated hosts, each with its own agent
 * process, driven the way the coordinator will (PrepareIncoming, MigrateOut, Commit on the source
 * then the target). Live and post-copy keep the process (same random id, the count goes on) and
 * an established TCP connection to a client in a third namespace (the client's route to the
 * container subnet moves to the target host, standing in for the overlay); cold and near-live
 * restart it, with the files written before the move. Host B starts without the busybox image:
 * the first migration (cold) fetches it from host A.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MigrationIT {

  private static final Logger log = LoggerFactory.getLogger(MigrationIT.class);

  private MigrationCluster cluster;
  private Path busybox;
  private String busyboxDigest;

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
    Path root = Files.createTempDirectory("ferry-mig-it");
    cluster = new MigrationCluster(root).start(Map.of(), Map.of());
    Image image = cluster.a.importImage("busybox.tar.zst", "busybox");
    busyboxDigest = image.getDigest();
    busybox = cluster.a.state.resolve("images").resolve(busyboxDigest).resolve("rootfs/bin/busybox");
  }

  /**
   * Force-deletes what a failed earlier test left on either host (its failure was dumped by then),
   * so that it fails alone: a container left on the target holds its address there, and the next
   * move of a container given that address on the source was refused with ALREADY_EXISTS.
   */
  @BeforeEach
  void clearLeftovers() {
    for (MigrationCluster.Host host : java.util.List.of(cluster.a, cluster.b)) {
      for (Container c : host.agent().listContainers(ListContainersRequest.getDefaultInstance()).getContainersList()) {
        String name = c.getSpec().getName();
        log.warn("deleting container {} left on {} by an earlier test", name, host.name);
        try {
          deleteOn(host, name);
        } catch (StatusRuntimeException e) {
          log.warn("cannot delete leftover {} on {}: {}", name, host.name, e.getStatus());
        }
      }
    }
  }

  @AfterAll
  void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void coldRestartsTheContainerWithItsFilesAndFetchesTheMissingImage() {
    assertThat(cluster.b.agent().listImages(ListImagesRequest.getDefaultInstance()).getImagesList()).isEmpty();
    String name = "box-cold";
    Container before = startCounter(cluster.a, name);
    Count counted = MigrationDriver.currentCount(cluster.a, name);
    String id = newId("cold");

    Run run = migrate(id, name, cluster.a, cluster.b, MigrationMode.MIGRATION_MODE_COLD, false);
    assertThat(run.error()).as("migration error").isNull();
    assertThat(run.result().getModeUsed()).isEqualTo(MigrationMode.MIGRATION_MODE_COLD);
    assertThat(run.last().getPhase()).isEqualTo(MigrationPhase.MIGRATION_PHASE_AWAITING_COMMIT);
    assertThat(cluster.a.agent().getContainer(MigrationCluster.ref(name)).getState())
        .as("the source copy is stopped, not deleted, until commit").isEqualTo(ContainerState.CONTAINER_STATE_STOPPED);
    commit(id, cluster.a, cluster.b);

    Container after = cluster.b.agent().getContainer(MigrationCluster.ref(name));
    assertThat(after.getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
    assertThat(after.getNetwork()).as("same address and MAC").isEqualTo(before.getNetwork());
    assertThat(after.getImageDigest()).isEqualTo(busyboxDigest);
    assertThat(cluster.b.agent().listImages(ListImagesRequest.getDefaultInstance()).getImagesList())
        .as("the image was fetched from the source under its digest").extracting(Image::getDigest).contains(busyboxDigest);
    Count restarted = awaitCountPast(cluster.b, name, 2);
    assertThat(restarted.id()).as("a cold move restarts the process").isNotEqualTo(counted.id());
    assertThat(cluster.b.exec(name, "cat", "/data/kept.txt")).isEqualTo("written-before-the-move\n");
    assertNothingOn(cluster.a, name, id);
    deleteOn(cluster.b, name);
  }

  @Test
  @Order(2)
  void nearLiveRestartsWithTheFilesOfTheFinalDeltaAndItsDeletions() throws Exception {
    String name = "box-near";
    startCounter(cluster.a, name);
    Count counted = MigrationDriver.currentCount(cluster.a, name);
    String id = newId("near");

    Run run = migrate(id, name, cluster.a, cluster.b, MigrationMode.MIGRATION_MODE_NEAR_LIVE, false);
    assertThat(run.error()).as("migration error").isNull();
    assertThat(run.result().getModeUsed()).isEqualTo(MigrationMode.MIGRATION_MODE_NEAR_LIVE);
    assertThat(run.progress()).extracting(MigrationProgress::getPhase)
        .contains(MigrationPhase.MIGRATION_PHASE_SYNCING_ROOTFS, MigrationPhase.MIGRATION_PHASE_STOPPING,
            MigrationPhase.MIGRATION_PHASE_SYNCING_DELTA, MigrationPhase.MIGRATION_PHASE_RESTORING);
    // The stopped source's last tick file: the delta must have removed every earlier one.
    long lastTickOnSource = MigrationDriver.lastTick(cluster.a, name);
    commit(id, cluster.a, cluster.b);

    String ticks = cluster.b.exec(name, "ls", "/data");
    assertThat(ticks).contains("kept.txt");
    assertThat(ticks.lines().filter(l -> l.startsWith("tick-")).count())
        .as("ticks on the target right after the move: %s", ticks).isLessThanOrEqualTo(2);
    Count restarted = awaitCountPast(cluster.b, name, 2);
    assertThat(restarted.id()).isNotEqualTo(counted.id());
    assertThat(lastTickOnSource).isGreaterThan(counted.value());
    assertNothingOn(cluster.a, name, id);
    deleteOn(cluster.b, name);
  }

  @Test
  @Order(3)
  void liveKeepsTheProcessAndAnEstablishedTcpConnection() throws Exception {
    moveLive("box-live", MigrationMode.MIGRATION_MODE_LIVE, MigrationMode.MIGRATION_MODE_LIVE);
  }

  @Test
  @Order(4)
  void postCopyKeepsTheProcessAndAnEstablishedTcpConnection() throws Exception {
    moveLive("box-post", MigrationMode.MIGRATION_MODE_POST_COPY, MigrationMode.MIGRATION_MODE_POST_COPY);
  }

  @Test
  @Order(5)
  void autoPicksLiveWhenBothHostsHaveCriu() throws Exception {
    moveLive("box-auto", MigrationMode.MIGRATION_MODE_AUTO, MigrationMode.MIGRATION_MODE_LIVE);
  }

  @Test
  @Order(6)
  void preCopyIsRefusedNamingTheMissingKernelFeature() {
    String name = "box-pre";
    startCounter(cluster.a, name);
    String id = newId("pre");
    assertThatThrownBy(() -> MigrationDriver.prepare(id, name, cluster.a, cluster.b, MigrationMode.MIGRATION_MODE_PRE_COPY,
        MigrationDriver.token()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
          assertThat(e.getStatus().getDescription()).contains("mem_dirty_track");
        });
    Run run = MigrationDriver.migrateOut(id, name, cluster.a, cluster.b, MigrationMode.MIGRATION_MODE_PRE_COPY, false,
        MigrationDriver.token());
    assertThat(run.error()).isNotNull();
    assertThat(run.error().getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(run.error().getStatus().getDescription()).contains("mem_dirty_track");
    assertThat(cluster.a.agent().getContainer(MigrationCluster.ref(name)).getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
    assertNothingOn(cluster.b, name, id);
    deleteOn(cluster.a, name);
  }

  @Test
  @Order(7)
  void liveMovesAContainerWithTouchedMemory() {
    int mib = Integer.getInteger("ferry.it.migration.memory-mib", 64);
    String name = "box-mem";
    cluster.a.agent().createContainer(io.ferry.proto.v1.CreateContainerRequest.newBuilder()
        .setSpec(io.ferry.proto.v1.ContainerSpec.newBuilder().setName(name).setImage("busybox")
            .setInit(io.ferry.proto.v1.InitKind.INIT_KIND_GENERIC)
            .addAllCommand(java.util.List.of("/bin/sh", "-c",
                "x=$(head -c " + mib + "m /dev/urandom | od -An -v -tx1 | head -c " + mib + "m); echo ready > /tmp/ready;"
                    + " i=0; while true; do i=$((i+1)); echo \"${#x} $i\" > /tmp/count; sleep 0.1; done")))
        .setStart(true).build());
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
        .until(() -> Files.exists(cluster.a.rootfsFile(name, "tmp/count")));
    Count counted = MigrationDriver.currentCount(cluster.a, name);
    String id = newId("mem");
    Run run = migrate(id, name, cluster.a, cluster.b, MigrationMode.MIGRATION_MODE_LIVE, false);
    assertThat(run.error()).as("migration error").isNull();
    log.info("live with {} MiB touched: total {} ms, frozen {} ms, rootfs {} B, memory {} B", mib, run.result().getTotalMillis(),
        run.result().getFrozenMillis(), run.result().getRootfsBytes(), run.result().getMemoryBytes());
    assertThat(run.result().getMemoryBytes()).isGreaterThan((long) mib << 20);
    commit(id, cluster.a, cluster.b);
    assertThat(awaitCountPast(cluster.b, name, counted.value() + 5).id()).isEqualTo(counted.id());
    deleteOn(cluster.b, name);
  }

  private void moveLive(String name, MigrationMode asked, MigrationMode expected) throws Exception {
    Container before = startCounter(cluster.a, name);
    String address = before.getNetwork().getAddress();
    cluster.routeClientVia(cluster.a);
    try (TcpClient client = TcpClient.connect(cluster, busybox, address)) {
      Count counted = MigrationDriver.currentCount(cluster.a, name);
      long receivedBefore = client.last.get();
      String id = newId(expected.name().toLowerCase().replace("migration_mode_", ""));

      Run run = migrate(id, name, cluster.a, cluster.b, asked, true);
      assertThat(run.error()).as("migration error").isNull();
      assertThat(run.result().getModeUsed()).isEqualTo(expected);
      assertThat(run.result().getFrozenMillis()).isPositive();
      assertThat(run.result().getMemoryBytes()).isPositive();
      log.info("{} {}: total {} ms, frozen {} ms, rootfs {} B, memory {} B", asked, name, run.result().getTotalMillis(),
          run.result().getFrozenMillis(), run.result().getRootfsBytes(), run.result().getMemoryBytes());
      assertThat(cluster.a.agent().getContainer(MigrationCluster.ref(name)).getState())
          .as("the source copy stays frozen until commit").isEqualTo(ContainerState.CONTAINER_STATE_FROZEN);
      cluster.routeClientVia(cluster.b);
      commit(id, cluster.a, cluster.b);

      Container after = cluster.b.agent().getContainer(MigrationCluster.ref(name));
      assertThat(after.getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
      assertThat(after.getNetwork()).as("same address and MAC").isEqualTo(before.getNetwork());
      Count moved = awaitCountPast(cluster.b, name, counted.value() + 10);
      assertThat(moved.id()).as("the same process, not a restart").isEqualTo(counted.id());
      assertThat(cluster.b.exec(name, "cat", "/data/kept.txt")).isEqualTo("written-before-the-move\n");
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
          .until(() -> client.last.get() > receivedBefore + 30);
      assertThat(client.alive()).as("the client kept its connection").isTrue();
      assertThat(client.resets.get()).as("the count over TCP never went back").isZero();
      assertThat(cluster.b.migration().getMigration(MigrationRef.newBuilder().setMigrationId(id).build()).getPhase())
          .as("the target remembers the outcome, without a journal").isEqualTo(MigrationPhase.MIGRATION_PHASE_COMMITTED);
      assertNothingOn(cluster.a, name, id);
    } finally {
      cluster.routeClientVia(cluster.a);
    }
    deleteOn(cluster.b, name);
  }

  private static void deleteOn(MigrationCluster.Host host, String name) {
    host.agent().deleteContainer(DeleteContainerRequest.newBuilder().setName(name).setForce(true).build());
  }
}
