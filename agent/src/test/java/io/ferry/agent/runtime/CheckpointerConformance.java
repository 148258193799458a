package io.ferry.agent.runtime;

import static io.ferry.agent.runtime.ConformanceSupport.counter;
import static io.ferry.agent.runtime.ConformanceSupport.namespace;
import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.AgentException.Kind;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a runtime that checkpoints ({@link Checkpointer}) must do on top of {@link
 * ContainerRuntimeConformance}, plus the recovery of running containers by a new runtime
 * instance. Network namespaces are created with {@code ip netns} and removed afterwards.
 */
public abstract class CheckpointerConformance extends ContainerRuntimeConformance {

  private static final Logger log = LoggerFactory.getLogger(CheckpointerConformance.class);

  private final List<String> namespaces = new ArrayList<>();

  protected Checkpointer checkpointer() {
    assertThat(runtime().capabilities().checkpoint()).as("capabilities().checkpoint()").isTrue();
    return runtime().checkpointer().orElseThrow();
  }

  protected Path newNetworkNamespace() {
    String name = ConformanceSupport.newId("ferry-rt-test");
    namespaces.add(name);
    return ConformanceSupport.addNetworkNamespace(name);
  }

  @AfterEach
  void removeNetworkNamespaces() {
    for (String name : namespaces) {
      try {
        ConformanceSupport.deleteNetworkNamespace(name);
      } catch (RuntimeException e) {
        log.warn("cannot delete network namespace {}: {}", name, e.getMessage());
      }
    }
    namespaces.clear();
  }

  @Test
  void restoredCounterContinuesWhereItStopped() {
    String id = ConformanceSupport.newId("rt");
    RuntimeSpec spec = counterSpec(id, true).build();
    start(spec);
    awaitCounter(id, 10);

    CheckpointResult snapshot = checkpointer().checkpoint(id, scratch().resolve("snapshot"), CheckpointOptions.SNAPSHOT);
    assertThat(snapshot.imageBytes()).isPositive();
    assertThat(status(id)).as("a snapshot leaves it running").isEqualTo(RuntimeStatus.RUNNING);
    assertKind(Kind.ALREADY_EXISTS, () -> checkpointer().restore(spec, snapshot.imageDir(), RestoreOptions.DEFAULT));
    assertKind(Kind.INVALID_ARGUMENT, () -> checkpointer().checkpoint(id, snapshot.imageDir(), CheckpointOptions.STOP));
    long beforeStop = awaitCounter(id, currentCounter(id) + 3);

    CheckpointResult result = checkpointer().checkpoint(id, scratch().resolve("stop"), CheckpointOptions.STOP);
    assertThat(runtime().state(id)).as("gone after a stopping checkpoint").isEmpty();
    long atCheckpoint = frozenCounter(id).orElse(beforeStop);
    assertThat(atCheckpoint).isGreaterThanOrEqualTo(beforeStop);

    long restoreStarted = System.nanoTime();
    RuntimeState restored = checkpointer().restore(spec, result.imageDir(), RestoreOptions.DEFAULT);
    long restoreMs = (System.nanoTime() - restoreStarted) / 1_000_000;
    assertThat(restored.status()).isEqualTo(RuntimeStatus.RUNNING);
    assertThat(restored.pid()).isPresent();
    long firstAfter = currentCounter(id);
    assertThat(firstAfter).as("not restarted from 1").isGreaterThanOrEqualTo(atCheckpoint);
    awaitCounter(id, atCheckpoint + 3);
    CollectingSink lo = new CollectingSink();
    assertThat(runtime().exec(id, ExecSpec.of("ip", "link", "show", "lo"), lo)).isZero();
    assertThat(lo.stdout()).as("loopback after restore").contains(",UP");
    log.info("checkpoint+restore busybox: snapshot {} ms, checkpoint {} ms ({} bytes), restore {} ms, counter {} -> {}",
        snapshot.elapsed().toMillis(), result.elapsed().toMillis(), result.imageBytes(), restoreMs, atCheckpoint,
        currentCounter(id));
  }

  @Test
  void restoreJoinsANewExternalNetworkNamespace() throws Exception {
    String id = ConformanceSupport.newId("rt");
    Path first = newNetworkNamespace();
    RuntimeSpec spec = counterSpec(id, true).networkNamespace(first).build();
    RuntimeState started = start(spec);
    assertThat(namespace(started.pid().getAsInt(), "net")).isEqualTo(ConformanceSupport.netnsId(first));
    long seen = awaitCounter(id, 5);

    CheckpointResult result = checkpointer().checkpoint(id, scratch().resolve("images"), CheckpointOptions.STOP);
    long atCheckpoint = frozenCounter(id).orElse(seen);
    ConformanceSupport.deleteNetworkNamespace(first.getFileName().toString());
    Path second = newNetworkNamespace();

    RuntimeState restored = checkpointer().restore(spec.withNetworkNamespace(java.util.Optional.of(second)),
        result.imageDir(), RestoreOptions.DEFAULT);

    assertThat(namespace(restored.pid().getAsInt(), "net")).isEqualTo(ConformanceSupport.netnsId(second));
    assertThat(currentCounter(id)).isGreaterThanOrEqualTo(atCheckpoint);
    awaitCounter(id, atCheckpoint + 3);
  }

  /**
   * A TCP connection between two processes of the container (over its loopback): refused without
   * {@code tcpEstablished}, carried across checkpoint and restore with it. Data written into the
   * client's input file reaches the server's output file before and after.
   */
  @Test
  void establishedTcpSurvivesOnlyWithTheOption() throws Exception {
    String id = ConformanceSupport.newId("rt");
    Path tx = busyboxRootfs().resolve("tmp").resolve(id + ".tx");
    Path rx = busyboxRootfs().resolve("tmp").resolve(id + ".rx");
    java.nio.file.Files.writeString(tx, "");
    RuntimeSpec spec = RuntimeSpec.builder(id, busyboxRootfs(), scratch().resolve(id + ".console.log"))
        // The server's stdin must stay open: busybox nc ends the connection at its EOF.
        .args("/bin/sh", "-c", "sleep 100000 | nc -l -p 5000 > /tmp/" + id + ".rx & sleep 0.3; "
            + "tail -f /tmp/" + id + ".tx | nc 127.0.0.1 5000 & wait")
        .build();
    start(spec);
    java.nio.file.Files.writeString(tx, "before\n", java.nio.file.StandardOpenOption.APPEND);
    org.awaitility.Awaitility.await("data over TCP").atMost(DEADLINE).pollInterval(POLL)
        .until(() -> java.nio.file.Files.exists(rx) && java.nio.file.Files.readString(rx).contains("before"));

    assertKind(Kind.INTERNAL, () -> checkpointer().checkpoint(id, scratch().resolve("no-tcp"), CheckpointOptions.STOP));
    assertThat(status(id)).as("a failed checkpoint leaves it running").isEqualTo(RuntimeStatus.RUNNING);

    CheckpointOptions tcp = CheckpointOptions.STOP.withTcpEstablished(true);
    CheckpointResult result = checkpointer().checkpoint(id, scratch().resolve("tcp"), tcp);
    RuntimeState restored = checkpointer().restore(spec, result.imageDir(), RestoreOptions.matching(tcp));
    assertThat(restored.status()).isEqualTo(RuntimeStatus.RUNNING);
    java.nio.file.Files.writeString(tx, "after\n", java.nio.file.StandardOpenOption.APPEND);
    org.awaitility.Awaitility.await("data over the restored connection").atMost(DEADLINE).pollInterval(POLL)
        .until(() -> java.nio.file.Files.readString(rx).contains("after"));
    assertThat(java.nio.file.Files.readString(rx)).isEqualTo("before\nafter\n");
  }

  @Test
  void dumpsAndRestoresKeepTheCpuQuota() {
    String id = ConformanceSupport.newId("rt");
    Limits quota = new Limits(java.util.OptionalLong.empty(), java.util.OptionalLong.of(20_000), java.util.OptionalLong.of(100_000),
        java.util.OptionalLong.empty(), java.util.OptionalLong.empty());
    RuntimeSpec spec = counterSpec(id, true).limits(quota).build();
    start(spec);
    awaitCounter(id, 3);
    // A dump runs with the quota lifted (CRIU's parasite runs in the container's tasks) and puts it back.
    checkpointer().checkpoint(id, scratch().resolve("quota-snapshot"), CheckpointOptions.SNAPSHOT);
    assertThat(runtime().readLimits(id).cpuQuotaMicros()).as("CPU quota after a snapshot").hasValue(20_000);
    CheckpointResult result = checkpointer().checkpoint(id, scratch().resolve("quota"), CheckpointOptions.STOP);
    checkpointer().restore(spec, result.imageDir(), RestoreOptions.DEFAULT);
    // The restore itself runs unthrottled (see the runtime's restore); the quota is back after it.
    Limits after = runtime().readLimits(id);
    assertThat(after.cpuQuotaMicros()).as("CPU quota after the restore").hasValue(20_000);
    assertThat(after.cpuPeriodMicros()).hasValue(100_000);
    awaitCounter(id, currentCounter(id) + 2);
  }

  @Test
  void aPausedContainerCanBeCheckpointed() {
    String id = ConformanceSupport.newId("rt");
    RuntimeSpec spec = counterSpec(id, true).build();
    start(spec);
    awaitCounter(id, 3);
    runtime().pause(id);
    java.util.OptionalLong frozen = frozenCounter(id);

    CheckpointResult snapshot = checkpointer().checkpoint(id, scratch().resolve("paused-snapshot"), CheckpointOptions.SNAPSHOT);
    assertThat(status(id)).as("still paused after a snapshot").isEqualTo(RuntimeStatus.PAUSED);
    assertThat(frozenCounter(id)).isEqualTo(frozen);
    CheckpointResult result = checkpointer().checkpoint(id, scratch().resolve("paused-stop"), CheckpointOptions.STOP);
    assertThat(runtime().state(id)).isEmpty();

    RuntimeState restored = checkpointer().restore(spec, result.imageDir(), RestoreOptions.DEFAULT);
    log.info("restored a checkpoint of a paused container: {} (snapshot {} bytes)", restored.status(), snapshot.imageBytes());
    if (restored.status() == RuntimeStatus.PAUSED) {
      runtime().resume(id);
    }
    awaitCounter(id, frozen.orElse(3) + 2);
  }

  @Test
  void checkpointRefusesStoppedAndUnknownContainers() {
    String id = ConformanceSupport.newId("rt");
    start(counterSpec(id, true).build());
    runtime().kill(id, Signal.KILL, false);
    awaitStatus(id, RuntimeStatus.STOPPED);

    assertKind(Kind.FAILED_PRECONDITION, () -> checkpointer().checkpoint(id, scratch().resolve("a"), CheckpointOptions.STOP));
    assertKind(Kind.NOT_FOUND, () -> checkpointer().checkpoint(ConformanceSupport.newId("absent"), scratch().resolve("b"),
        CheckpointOptions.STOP));
    assertKind(Kind.INVALID_ARGUMENT, () -> checkpointer().restore(counterSpec(ConformanceSupport.newId("rt"), true).build(),
        scratch().resolve("no-images"), RestoreOptions.DEFAULT));
  }

  @Test
  void aNewRuntimeInstanceFindsRunningContainers() {
    String id = ConformanceSupport.newId("rt");
    RuntimeState started = start(counterSpec(id, true).build());
    String paused = ConformanceSupport.newId("rt");
    start(counterSpec(paused, true).build());
    runtime().pause(paused);

    ContainerRuntime again = reopen();

    assertThat(again.list()).contains(started);
    assertThat(again.state(id)).contains(started);
    assertThat(again.state(paused).orElseThrow().status()).isEqualTo(RuntimeStatus.PAUSED);
    CollectingSink sink = new CollectingSink();
    assertThat(again.exec(id, ExecSpec.of("hostname"), sink)).isZero();
    assertThat(sink.stdout().strip()).isEqualTo("h-" + id);
    again.resume(paused);
    again.delete(id, true);
    assertThat(runtime().state(id)).isEmpty();
  }
}
