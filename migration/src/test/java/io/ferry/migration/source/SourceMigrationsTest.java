package io.ferry.migration.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.migration.protocol.Journal;
import io.ferry.migration.protocol.JournalStore;
import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationException.Kind;
import io.ferry.migration.protocol.MigrationSettings;
import io.ferry.migration.protocol.Mode;
import io.ferry.migration.protocol.Phase;
import io.ferry.migration.protocol.Result;
import io.ferry.migration.protocol.Role;
import io.ferry.migration.source.SourceContainer.State;
import io.ferry.migration.transfer.TarStreams;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The source side on a fake host and a fake target: the steps of each mode, and the safety rule
 * (resume only when the target cannot run the container; otherwise stay frozen, in doubt).
 */
class SourceMigrationsTest {

  @TempDir Path state;
  @TempDir Path upper;
  private FakeSource host;
  private JournalStore store;
  private SourceMigrations migrations;
  private final ExecutorService workers = Executors.newSingleThreadExecutor();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final List<Phase> phases = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    Files.createDirectories(upper.resolve("etc"));
    Files.writeString(upper.resolve("etc/hostname"), "box");
    host = new FakeSource(upper);
    store = new JournalStore(state.resolve("migrations"));
    migrations = newMigrations();
  }

  private SourceMigrations newMigrations() {
    MigrationSettings settings = new MigrationSettings(Duration.ofSeconds(30), Duration.ofSeconds(5), 1L << 30, 0,
        Duration.ofHours(1), MigrationSettings.FaultPoint.NONE, Long.MAX_VALUE);
    return new SourceMigrations(store, host, (address, id, token) -> host.target, settings, Clock.systemUTC(),
        new TarStreams(state.resolve("tmp")), workers, timer);
  }

  @AfterEach
  void tearDown() {
    workers.shutdownNow();
    timer.shutdownNow();
  }

  private Result run(String id, Mode mode) throws Exception {
    CompletableFuture<Result> done = migrations.migrateOut(
        new OutgoingRequest(id, "box", "10.0.0.2:7701", mode, true, "0123456789abcdef"), p -> phases.add(p.phase()));
    try {
      return done.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  @Test
  void liveLeavesTheCopyFrozenWithItsLinkDownUntilTheCommitDeletesIt() throws Exception {
    Result result = run("m-live", Mode.LIVE);

    assertThat(result.modeUsed()).isEqualTo(Mode.LIVE);
    assertThat(phases).containsSubsequence(Phase.SYNCING_ROOTFS, Phase.FREEZING, Phase.DUMPING, Phase.TRANSFERRING_MEMORY,
        Phase.RESTORING, Phase.AWAITING_COMMIT);
    // The final pass of the layer goes while the dump runs, so it is over before the images go.
    assertThat(host.target.received).containsExactly("rootfs", "delta", "images");
    assertThat(host.target.restored.getFromCheckpoint()).isTrue();
    assertThat(host.target.restored.getTcpEstablished()).isTrue();
    assertThat(host.box.state).isEqualTo(State.FROZEN);
    assertThat(host.box.linkUp).isFalse();
    assertThat(host.box.steps).containsSubsequence("freeze", "link-down", "dump");
    assertThat(migrations.journal("m-live")).map(Journal::phase).contains(Phase.AWAITING_COMMIT);

    migrations.commit("m-live");
    assertThat(host.box.destroyed).isTrue();
    assertThat(host.held).as("released").isFalse();
    assertThat(store.find("m-live", Role.SOURCE)).isEmpty();
    assertThat(migrations.outcome("m-live")).map(o -> o.phase()).contains(Phase.COMMITTED);
    assertThat(migrations.commit("m-live")).as("idempotent").isPresent();
    assertThatThrownBy(() -> migrations.abort("m-live")).hasMessageContaining("committed");
  }

  @Test
  void nearLiveStopsBetweenTheTwoPassesAndSendsTheDeletions() throws Exception {
    Files.writeString(upper.resolve("etc/temp"), "t");
    Path temp = upper.resolve("etc/temp");
    // The container removes a file between the passes (while it stops).
    CompletableFuture<Result> done = migrations.migrateOut(
        new OutgoingRequest("m-near", "box", "t:1", Mode.NEAR_LIVE, false, "0123456789abcdef"), p -> {
          phases.add(p.phase());
          if (p.phase() == Phase.STOPPING) {
            try {
              Files.deleteIfExists(temp);
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          }
        });
    Result result = done.get(30, TimeUnit.SECONDS);

    assertThat(result.modeUsed()).isEqualTo(Mode.NEAR_LIVE);
    assertThat(host.box.state).isEqualTo(State.STOPPED);
    assertThat(host.target.received).containsExactly("rootfs", "delta");
    assertThat(host.target.deletions.get(1)).containsExactly("etc/temp");
    assertThat(host.target.restored.getFromCheckpoint()).isFalse();
  }

  @Test
  void aFileMadeAfterTheFirstScanAndGoneBeforeTheDeltaIsNotLeftOnTheTarget() throws Exception {
    host.target.tree = Files.createDirectories(state.resolve("target-layer"));
    Path late = upper.resolve("etc/late.lock");
    // The container makes a file between the first pass's scan and its pack, and removes it before
    // the final scan (a lock or pid file): the target must not keep it.
    host.box.onLook = look -> {
      try {
        if (look == 2) {
          Files.writeString(late, "1234");
        } else if (look == 3) {
          Files.deleteIfExists(late);
        }
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    };
    Result result = migrations.migrateOut(
        new OutgoingRequest("m-late", "box", "t:1", Mode.NEAR_LIVE, false, "0123456789abcdef"), p -> {}).get(30, TimeUnit.SECONDS);

    assertThat(result.modeUsed()).isEqualTo(Mode.NEAR_LIVE);
    assertThat(host.target.received).containsExactly("rootfs", "delta");
    assertThat(layer(host.target.tree)).isEqualTo(layer(upper)).contains("etc/hostname").doesNotContain("etc/late.lock");
  }

  /** The paths of a layer, relative and sorted. */
  private static List<String> layer(Path root) throws java.io.IOException {
    try (var walk = Files.walk(root)) {
      return walk.filter(p -> !p.equals(root)).map(p -> root.relativize(p).toString()).sorted().toList();
    }
  }

  @Test
  void aFailureBeforeTheRestoreResumesTheCopyAndTellsTheTarget() {
    host.target.sendFailure = FakeSource::unavailable;

    assertThatThrownBy(() -> run("m-fail", Mode.LIVE)).isInstanceOfSatisfying(MigrationException.class,
        e -> assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE));
    assertThat(host.box.state).isEqualTo(State.RUNNING);
    assertThat(host.box.linkUp).isTrue();
    assertThat(host.target.aborts).isEqualTo(1);
    assertThat(host.target.restored).isNull();
    assertThat(store.find("m-fail", Role.SOURCE)).isEmpty();
    assertThat(migrations.outcome("m-fail")).map(o -> o.phase()).contains(Phase.ABORTED);
    assertThat(host.held).isFalse();
  }

  @Test
  void aFailureBeforeTheRestoreResumesEvenWhenTheTargetIsGone() {
    host.target.sendFailure = FakeSource::unavailable;
    host.target.abortFailure = FakeSource::unavailable;

    assertThatThrownBy(() -> run("m-gone", Mode.LIVE)).isInstanceOf(MigrationException.class);
    assertThat(host.box.state).as("the target never had what it needs to run it").isEqualTo(State.RUNNING);
    assertThat(host.box.linkUp).isTrue();
  }

  @Test
  void aRestoreTheTargetRefusedResumesOnceTheTargetConfirmedItsAbort() {
    host.target.restoreFailure = () -> new MigrationException(Kind.INTERNAL, "criu restore failed");

    assertThatThrownBy(() -> run("m-refused", Mode.LIVE)).hasMessageContaining("criu restore failed");
    assertThat(host.target.aborts).isEqualTo(1);
    assertThat(host.box.state).isEqualTo(State.RUNNING);
    assertThat(host.box.linkUp).isTrue();
  }

  @Test
  void aRestoreWithoutAnAnswerLeavesTheCopyFrozenInDoubtUntilTheTargetSettlesIt() {
    host.target.restoreFailure = FakeSource::unavailable;
    host.target.abortFailure = FakeSource::unavailable;

    assertThatThrownBy(() -> run("m-doubt", Mode.LIVE)).isInstanceOfSatisfying(MigrationException.class,
        e -> assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE));
    assertThat(host.box.state).as("the target may run it: never resume blindly").isEqualTo(State.FROZEN);
    assertThat(host.box.linkUp).isFalse();
    assertThat(store.find("m-doubt", Role.SOURCE)).map(Journal::phase).contains(Phase.IN_DOUBT);

    host.target.phase = () -> {
      throw FakeSource.unavailable();
    };
    migrations.settleNow();
    assertThat(host.box.state).as("still unreachable: still frozen").isEqualTo(State.FROZEN);

    host.target.phase = () -> Optional.of(Phase.AWAITING_COMMIT);
    migrations.settleNow();
    assertThat(migrations.journal("m-doubt")).map(Journal::phase).contains(Phase.AWAITING_COMMIT);
    assertThat(host.box.state).isEqualTo(State.FROZEN);
  }

  @Test
  void anInDoubtMigrationResumesWhenTheTargetSaysItHasNothing() {
    host.target.restoreFailure = FakeSource::unavailable;
    host.target.abortFailure = FakeSource::unavailable;
    assertThatThrownBy(() -> run("m-doubt2", Mode.LIVE)).isInstanceOf(MigrationException.class);

    host.target.abortFailure = () -> null;
    host.target.phase = () -> Optional.of(Phase.ABORTED);
    migrations.settleNow();
    assertThat(host.box.state).isEqualTo(State.RUNNING);
    assertThat(host.box.linkUp).isTrue();
    assertThat(migrations.outcome("m-doubt2")).map(o -> o.phase()).contains(Phase.ABORTED);
  }

  @Test
  void theCopyIsDeletedOnlyWhenTheTargetConfirmsItRunsTheContainer() throws Exception {
    run("m-commit", Mode.LIVE);
    host.target.phase = () -> Optional.of(Phase.SYNCING_DELTA);
    assertThatThrownBy(() -> migrations.commit("m-commit")).isInstanceOfSatisfying(MigrationException.class,
        e -> assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION));
    host.target.phase = () -> {
      throw FakeSource.unavailable();
    };
    assertThatThrownBy(() -> migrations.commit("m-commit")).isInstanceOfSatisfying(MigrationException.class,
        e -> assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE));
    assertThat(host.box.destroyed).isFalse();
    assertThat(host.box.state).isEqualTo(State.FROZEN);
  }

  @Test
  void anAbortWaitsForTheTargetToBeAbortedFirst() throws Exception {
    run("m-abort", Mode.LIVE);
    host.target.phase = () -> Optional.of(Phase.AWAITING_COMMIT);
    assertThatThrownBy(() -> migrations.abort("m-abort")).hasMessageContaining("abort it on the target first");
    assertThat(host.box.state).isEqualTo(State.FROZEN);

    host.target.phase = () -> Optional.of(Phase.ABORTED);
    migrations.abort("m-abort");
    assertThat(host.box.state).isEqualTo(State.RUNNING);
    assertThat(host.box.linkUp).isTrue();
    assertThat(migrations.abort("m-abort")).as("idempotent").isPresent();
    assertThatThrownBy(() -> migrations.commit("m-abort")).hasMessageContaining("aborted");
  }

  @Test
  void autoFallsBackToNearLiveWhenTheDumpFailsAndSaysWhy() throws Exception {
    host.box.dumpFailure = new MigrationException(Kind.INTERNAL, "criu: Can't dump nested pid namespace");

    Result result = run("m-auto", Mode.AUTO);
    assertThat(result.modeUsed()).isEqualTo(Mode.NEAR_LIVE);
    assertThat(result.fallbackReason()).contains("dump failed", "nested pid namespace", "near-live");
    assertThat(host.box.steps).containsSubsequence("freeze", "link-down", "dump", "link-up", "unfreeze", "stop");
    // The pass made while frozen, then the near-live one after the stop.
    assertThat(host.target.received).containsExactly("rootfs", "delta", "delta");
    assertThat(host.target.restored.getFromCheckpoint()).isFalse();
  }

  @Test
  void liveWithoutAutoRollsBackWhenTheDumpFails() {
    host.box.dumpFailure = new MigrationException(Kind.INTERNAL, "criu: dump failed");
    assertThatThrownBy(() -> run("m-nodump", Mode.LIVE)).hasMessageContaining("dump failed");
    assertThat(host.box.state).isEqualTo(State.RUNNING);
    assertThat(host.box.linkUp).isTrue();
  }

  /**
   * The final pass of the layer runs while CRIU dumps; when the dump fails, the rollback cuts that
   * pass and waits for it before telling the target to discard, so nothing reaches a target that
   * has let its copy go.
   */
  @Test
  void aFailedDumpCutsTheFrozenPassBeforeTheTargetDiscards() {
    host.target.deltaGate = new java.util.concurrent.CountDownLatch(1);
    host.box.dumpAfter = host.target.deltaStarted;
    host.box.dumpFailure = new MigrationException(Kind.INTERNAL, "criu: dump failed");

    assertThatThrownBy(() -> run("m-cut-pass", Mode.LIVE)).hasMessageContaining("dump failed");

    assertThat(host.target.events).containsExactly("delta-start", "cancel", "delta-end", "abort");
    assertThat(host.target.received).as("the pass never completed").containsExactly("rootfs");
    assertThat(host.box.state).isEqualTo(State.RUNNING);
    assertThat(host.box.linkUp).isTrue();
  }

  @Test
  void preCopyIsRefusedBeforeAnythingHappens() {
    assertThatThrownBy(() -> run("m-pre", Mode.PRE_COPY)).hasMessageContaining("mem_dirty_track");
    assertThat(host.box.steps).isEmpty();
    assertThat(host.box.state).isEqualTo(State.RUNNING);
  }

  @Test
  void aRestartedAgentRollsBackATransferCutBeforeTheRestore() {
    store.save(Journal.source("m-cut", "box", Mode.LIVE, "0123456789abcdef", "t:1", true, "digest", java.time.Instant.now())
        .moveTo(Phase.SYNCING_ROOTFS, "", java.time.Instant.now())
        .moveTo(Phase.FREEZING, "", java.time.Instant.now())
        .moveTo(Phase.DUMPING, "", java.time.Instant.now())
        .moveTo(Phase.TRANSFERRING_MEMORY, "", java.time.Instant.now()));
    host.box.state = State.FROZEN;
    host.box.linkUp = false;

    assertThat(SourceMigrations.heldContainers(store)).containsExactly("box");
    newMigrations().recover();
    assertThat(host.box.state).isEqualTo(State.RUNNING);
    assertThat(host.box.linkUp).isTrue();
    assertThat(host.target.aborts).isEqualTo(1);
    assertThat(store.outcome("m-cut", Role.SOURCE)).map(o -> o.phase()).contains(Phase.ABORTED);
  }

  @Test
  void aRestartedAgentThatAskedForTheRestoreStaysFrozenUntilTheTargetAnswers() {
    store.save(Journal.source("m-asked", "box", Mode.LIVE, "0123456789abcdef", "t:1", true, "digest", java.time.Instant.now())
        .moveTo(Phase.SYNCING_ROOTFS, "", java.time.Instant.now())
        .moveTo(Phase.FREEZING, "", java.time.Instant.now())
        .moveTo(Phase.DUMPING, "", java.time.Instant.now())
        .moveTo(Phase.TRANSFERRING_MEMORY, "", java.time.Instant.now())
        .moveTo(Phase.SYNCING_DELTA, "", java.time.Instant.now())
        .withRestoreSent()
        .moveTo(Phase.RESTORING, "", java.time.Instant.now()));
    host.box.state = State.FROZEN;
    host.target.phase = () -> {
      throw FakeSource.unavailable();
    };

    SourceMigrations recovered = newMigrations();
    recovered.recover();
    assertThat(host.box.state).isEqualTo(State.FROZEN);
    assertThat(host.box.linkUp).isFalse();
    assertThat(recovered.journal("m-asked")).map(Journal::phase).contains(Phase.IN_DOUBT);

    host.target.phase = () -> Optional.of(Phase.COMMITTED);
    recovered.settleNow();
    assertThat(recovered.journal("m-asked")).map(Journal::phase).contains(Phase.AWAITING_COMMIT);
    recovered.commit("m-asked");
    assertThat(host.box.destroyed).isTrue();
  }
}
