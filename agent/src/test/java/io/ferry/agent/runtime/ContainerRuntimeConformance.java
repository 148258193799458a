package io.ferry.agent.runtime;

import static io.ferry.agent.runtime.ConformanceSupport.counter;
import static io.ferry.agent.runtime.ConformanceSupport.counterScript;
import static io.ferry.agent.runtime.ConformanceSupport.hostNamespace;
import static io.ferry.agent.runtime.ConformanceSupport.namespace;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every {@link ContainerRuntime} must do, run against a real implementation on a real host
 * (Linux, root) with a busybox root filesystem. A driver's integration test extends this (or
 * {@link CheckpointerConformance}, when it checkpoints) and supplies the runtime and the fixtures.
 *
 * <p>Each test uses fresh container ids and removes its containers afterwards; tests do not depend
 * on each other's order. Waiting is done with deadlines (Awaitility), never with sleeps.
 */
public abstract class ContainerRuntimeConformance {

  private static final Logger log = LoggerFactory.getLogger(ContainerRuntimeConformance.class);

  protected static final Duration DEADLINE = Duration.ofSeconds(10);
  protected static final Duration POLL = Duration.ofMillis(20);

  private final List<String> containers = new ArrayList<>();

  /** The runtime under test; the same instance for every call of one test. */
  protected abstract ContainerRuntime runtime();

  /** A second instance over the first one's state, as a restarted agent would create it. */
  protected abstract ContainerRuntime reopen();

  /** An unpacked busybox root filesystem (shared by the tests: they write only their own files). */
  protected abstract Path busyboxRootfs();

  /** A directory for this test's console logs and checkpoint images. */
  protected abstract Path scratch();

  /** A busybox counter container (see {@link ConformanceSupport#counterScript}), not started. */
  protected RuntimeSpec.Builder counterSpec(String id, boolean trapTerm) {
    return RuntimeSpec.builder(id, busyboxRootfs(), scratch().resolve(id + ".console.log"))
        .args("/bin/sh", "-c", counterScript(trapTerm))
        .env("COUNTER", "/tmp/" + id + ".counter")
        .hostname("h-" + id);
  }

  /** Starts {@code spec} and remembers its id for clean-up. */
  protected RuntimeState start(RuntimeSpec spec) {
    containers.add(spec.id());
    return runtime().start(spec);
  }

  /** Remembers an id created some other way (e.g. by a restore) for clean-up. */
  protected void track(String id) {
    containers.add(id);
  }

  protected Path counterFile(String id) {
    return busyboxRootfs().resolve("tmp").resolve(id + ".counter");
  }

  /**
   * Waits until the running container's counter reached {@code atLeast}; returns the value seen
   * (reads that catch the file between truncation and write are skipped).
   */
  protected long awaitCounter(String id, long atLeast) {
    Path file = counterFile(id);
    AtomicLong seen = new AtomicLong(-1);
    await("counter of " + id + " >= " + atLeast).atMost(DEADLINE).pollInterval(POLL).until(() -> {
      OptionalLong value = counter(file);
      value.ifPresent(seen::set);
      return value.isPresent() && value.getAsLong() >= atLeast;
    });
    return seen.get();
  }

  /** The counter of a running container now. */
  protected long currentCounter(String id) {
    return awaitCounter(id, 0);
  }

  /**
   * The counter of a frozen, paused or checkpointed container, as it stays: empty when it was
   * frozen between truncating the file and writing the number.
   */
  protected OptionalLong frozenCounter(String id) {
    return counter(counterFile(id));
  }

  protected RuntimeStatus status(String id) {
    return runtime().state(id).map(RuntimeState::status).orElse(null);
  }

  protected void awaitStatus(String id, RuntimeStatus expected) {
    await(id + " " + expected).atMost(DEADLINE).pollInterval(POLL).until(() -> status(id) == expected);
  }

  protected static void assertKind(Kind kind, ThrowingCallable call) {
    assertThatThrownBy(call).isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).as(e.getMessage()).isEqualTo(kind));
  }

  @AfterEach
  void removeContainers() {
    for (String id : containers) {
      try {
        if (runtime().state(id).isPresent()) {
          runtime().delete(id, true);
        } else {
          runtime().delete(id, false);
        }
      } catch (AgentException e) {
        if (e.kind() != Kind.NOT_FOUND) {
          log.warn("clean-up of container {} failed: {}", id, e.getMessage());
        }
      }
    }
    containers.clear();
  }

  @Test
  void startsRunningInItsOwnNamespacesWithItsHostname() throws Exception {
    String id = ConformanceSupport.newId("rt");
    RuntimeState started = start(counterSpec(id, true).build());

    assertThat(started.id()).isEqualTo(id);
    assertThat(started.status()).isEqualTo(RuntimeStatus.RUNNING);
    assertThat(started.pid()).isPresent();
    assertThat(runtime().state(id)).contains(started);
    long pid = started.pid().getAsInt();
    for (String ns : List.of("pid", "mnt", "uts", "ipc", "net", "cgroup")) {
      assertThat(namespace(pid, ns)).as("%s namespace", ns).isNotEqualTo(hostNamespace(ns));
    }
    CollectingSink sink = new CollectingSink();
    assertThat(runtime().exec(id, ExecSpec.of("hostname"), sink)).isZero();
    assertThat(sink.stdout().strip()).isEqualTo("h-" + id);
    awaitCounter(id, 3);
    assertThat(runtime().list()).extracting(RuntimeState::id).contains(id);
    assertKind(Kind.ALREADY_EXISTS, () -> runtime().start(counterSpec(id, true).build()));
    assertThat(runtime().state(id)).contains(started);
  }

  @Test
  void failedStartsLeaveNothingBehind() {
    String id = ConformanceSupport.newId("rt");
    track(id);
    assertKind(Kind.INVALID_ARGUMENT, () -> runtime().start(counterSpec(id, true).args("/no/such/init").build()));
    assertThat(runtime().state(id)).isEmpty();
    assertKind(Kind.INVALID_ARGUMENT, () -> runtime().start(
        RuntimeSpec.builder(id, scratch().resolve("no-rootfs"), scratch().resolve("c.log")).build()));
    assertKind(Kind.INVALID_ARGUMENT, () -> runtime().start(
        counterSpec(id, true).networkNamespace(Path.of("/run/netns/ferry-absent-netns")).build()));
    assertThat(runtime().state(id)).isEmpty();

    RuntimeState state = start(counterSpec(id, true).build());
    assertThat(state.status()).as("the id is free again").isEqualTo(RuntimeStatus.RUNNING);
  }

  @Test
  void stopsOnTermWhenInitHandlesIt() {
    String id = ConformanceSupport.newId("rt");
    start(counterSpec(id, true).build());
    awaitCounter(id, 1);

    runtime().kill(id, Signal.TERM, false);

    awaitStatus(id, RuntimeStatus.STOPPED);
    assertThat(runtime().state(id).orElseThrow().pid()).isEmpty();
    assertKind(Kind.FAILED_PRECONDITION, () -> runtime().kill(id, Signal.KILL, false));
    assertKind(Kind.FAILED_PRECONDITION, () -> runtime().pause(id));
    assertKind(Kind.FAILED_PRECONDITION, () -> runtime().updateLimits(id, Limits.NONE));
    assertKind(Kind.FAILED_PRECONDITION, () -> runtime().exec(id, ExecSpec.of("true"), ExecSink.discard()));
  }

  @Test
  void termThatInitIgnoresLeavesItRunningThenKillStopsIt() {
    String id = ConformanceSupport.newId("rt");
    start(counterSpec(id, false).build());
    awaitCounter(id, 1);

    runtime().kill(id, Signal.TERM, false);
    await("still running after SIGTERM").during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
        .pollInterval(Duration.ofMillis(50)).until(() -> status(id) == RuntimeStatus.RUNNING);
    runtime().kill(id, Signal.KILL, true);

    awaitStatus(id, RuntimeStatus.STOPPED);
  }

  @Test
  void deleteMakesItAbsent() {
    String id = ConformanceSupport.newId("rt");
    start(counterSpec(id, true).build());

    assertKind(Kind.FAILED_PRECONDITION, () -> runtime().delete(id, false));
    runtime().kill(id, Signal.KILL, false);
    awaitStatus(id, RuntimeStatus.STOPPED);
    runtime().delete(id, false);

    assertThat(runtime().state(id)).isEmpty();
    assertThat(runtime().list()).extracting(RuntimeState::id).doesNotContain(id);
    assertKind(Kind.NOT_FOUND, () -> runtime().delete(id, true));
    assertKind(Kind.NOT_FOUND, () -> runtime().kill(id, Signal.KILL, false));

    String forced = ConformanceSupport.newId("rt");
    start(counterSpec(forced, true).build());
    runtime().delete(forced, true);
    assertThat(runtime().state(forced)).isEmpty();
  }

  @Test
  void pauseFreezesTheCounterAndResumeThawsIt() {
    String id = ConformanceSupport.newId("rt");
    start(counterSpec(id, true).build());
    awaitCounter(id, 2);

    runtime().pause(id);
    assertThat(status(id)).isEqualTo(RuntimeStatus.PAUSED);
    assertKind(Kind.FAILED_PRECONDITION, () -> runtime().pause(id));
    assertKind(Kind.FAILED_PRECONDITION, () -> runtime().exec(id, ExecSpec.of("true"), ExecSink.discard()));
    OptionalLong frozen = frozenCounter(id);
    await("counter frozen at " + frozen).during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2))
        .pollInterval(Duration.ofMillis(100)).until(() -> frozenCounter(id).equals(frozen));

    runtime().resume(id);
    assertThat(status(id)).isEqualTo(RuntimeStatus.RUNNING);
    awaitCounter(id, frozen.orElse(2) + 2);
    assertKind(Kind.FAILED_PRECONDITION, () -> runtime().resume(id));

    runtime().pause(id);
    runtime().delete(id, true);
    assertThat(runtime().state(id)).as("a paused container can be force-deleted").isEmpty();
  }

  @Test
  void limitsAreReadBackFromTheKernelAndUpdatedLive() {
    String id = ConformanceSupport.newId("rt");
    Limits initial = new Limits(OptionalLong.of(512), OptionalLong.empty(), OptionalLong.empty(),
        OptionalLong.of(64L << 20), OptionalLong.of(100));
    start(counterSpec(id, true).limits(initial).build());

    Limits read = runtime().readLimits(id);
    assertThat(read.memoryBytes()).hasValue(64L << 20);
    assertThat(read.cpuShares()).hasValue(512);
    assertThat(read.pidsMax()).hasValue(100);
    assertThat(read.cpuQuotaMicros()).isEmpty();

    runtime().updateLimits(id, new Limits(OptionalLong.empty(), OptionalLong.of(50_000), OptionalLong.of(100_000),
        OptionalLong.of(128L << 20), OptionalLong.empty()));
    Limits updated = runtime().readLimits(id);
    assertThat(updated.memoryBytes()).hasValue(128L << 20);
    assertThat(updated.cpuQuotaMicros()).hasValue(50_000);
    assertThat(updated.cpuShares()).as("untouched").hasValue(512);
    assertThat(updated.pidsMax()).as("untouched").hasValue(100);

    // 24 MiB of tmpfs cannot be reclaimed without swap: a limit below it is refused.
    assertThat(runtime().exec(id, ExecSpec.of("dd", "if=/dev/zero", "of=/dev/shm/fill", "bs=1M", "count=24"),
        ExecSink.discard())).isZero();
    ResourceUsage usage = runtime().usage(id);
    assertThat(usage.memoryBytes()).isGreaterThan(24L << 20);
    assertThat(usage.memoryPeakBytes()).isGreaterThanOrEqualTo(usage.memoryBytes());
    assertThat(usage.pids()).isGreaterThanOrEqualTo(1);
    assertThat(usage.cpuNanos()).isPositive();
    assertKind(Kind.INVALID_ARGUMENT, () -> runtime().updateLimits(id, new Limits(OptionalLong.empty(),
        OptionalLong.empty(), OptionalLong.empty(), OptionalLong.of(usage.memoryBytes() - (16L << 20)), OptionalLong.of(50))));
    Limits after = runtime().readLimits(id);
    assertThat(after.memoryBytes()).as("old memory limit still in force").hasValue(128L << 20);
    assertThat(after.pidsMax()).as("no part of a refused update applies").hasValue(100);
    assertKind(Kind.INVALID_ARGUMENT, () -> new Limits(OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(),
        OptionalLong.empty(), OptionalLong.of(0)));
    assertKind(Kind.NOT_FOUND, () -> runtime().readLimits(ConformanceSupport.newId("absent")));
  }

  @Test
  void execStreamsStdoutAndStderrAndReturnsTheExitCode() {
    String id = ConformanceSupport.newId("rt");
    start(counterSpec(id, true).build());
    CollectingSink sink = new CollectingSink();

    int exit = runtime().exec(id, ExecSpec.of("sh", "-c", "echo hi; echo err >&2; exit 3"), sink);

    assertThat(exit).isEqualTo(3);
    assertThat(sink.stdout()).isEqualTo("hi\n");
    assertThat(sink.stderr()).isEqualTo("err\n");
    CollectingSink env = new CollectingSink();
    assertThat(runtime().exec(id, new ExecSpec(List.of("sh", "-c", "echo $GREETING; pwd"),
        java.util.Map.of("GREETING", "hello"), "/tmp", Duration.ofSeconds(10)), env)).isZero();
    assertThat(env.stdout()).isEqualTo("hello\n/tmp\n");
    assertKind(Kind.INVALID_ARGUMENT, () -> runtime().exec(id, ExecSpec.of("/no/such/program"), ExecSink.discard()));
    assertKind(Kind.INVALID_ARGUMENT, () -> runtime().exec(id, ExecSpec.of(List.of()), ExecSink.discard()));
    assertKind(Kind.NOT_FOUND, () -> runtime().exec(ConformanceSupport.newId("absent"), ExecSpec.of("true"), ExecSink.discard()));
  }

  @Test
  void execDeliversOutputWhileTheCommandRuns() {
    String id = ConformanceSupport.newId("rt");
    start(counterSpec(id, true).build());
    CollectingSink sink = new CollectingSink();
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "conformance-exec"));
    try {
      CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(
          () -> runtime().exec(id, ExecSpec.of("sh", "-c", "echo first; sleep 2; echo second"), sink), executor);

      await("first line before the command ends").atMost(DEADLINE).pollInterval(POLL)
          .until(() -> sink.stdout().contains("first"));
      assertThat(exit).as("still running when the first chunk arrived").isNotDone();
      assertThat(exit.join()).isZero();
      assertThat(sink.stdout()).isEqualTo("first\nsecond\n");
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void execPastItsTimeoutIsKilled() {
    String id = ConformanceSupport.newId("rt");
    start(counterSpec(id, true).build());

    assertKind(Kind.TIMEOUT, () -> runtime().exec(id, ExecSpec.of("sleep", "37").withTimeout(Duration.ofMillis(500)),
        ExecSink.discard()));

    await("the timed-out command is gone").atMost(DEADLINE).pollInterval(Duration.ofMillis(100)).until(() -> {
      CollectingSink ps = new CollectingSink();
      runtime().exec(id, ExecSpec.of("ps"), ps);
      return !ps.stdout().contains("sleep 37");
    });
  }

  @Test
  void unknownContainersAreAbsentOrNotFound() {
    String id = ConformanceSupport.newId("absent");
    assertThat(runtime().state(id)).isEmpty();
    assertKind(Kind.NOT_FOUND, () -> runtime().pause(id));
    assertKind(Kind.NOT_FOUND, () -> runtime().resume(id));
    assertKind(Kind.NOT_FOUND, () -> runtime().updateLimits(id, Limits.NONE));
    assertKind(Kind.NOT_FOUND, () -> runtime().usage(id));
    assertKind(Kind.INVALID_ARGUMENT, () -> runtime().delete("..", true));
    assertKind(Kind.INVALID_ARGUMENT, () -> runtime().state("../x"));
  }
}
