package io.ferry.agent.runtime.runc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.agent.AgentException;
import io.ferry.agent.runtime.CheckpointOptions;
import io.ferry.agent.runtime.CheckpointResult;
import io.ferry.agent.runtime.CollectingSink;
import io.ferry.agent.runtime.ConformanceSupport;
import io.ferry.agent.runtime.ExecSpec;
import io.ferry.agent.runtime.InitKind;
import io.ferry.agent.runtime.RestoreOptions;
import io.ferry.agent.runtime.RuntimeSpec;
import io.ferry.agent.runtime.RuntimeState;
import io.ferry.agent.runtime.RuntimeStatus;
import io.ferry.agent.runtime.Signal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Debian 12 with systemd as init ({@link InitKind#SYSTEMD}) under the runc driver: boot to
 * {@code running}/{@code degraded}, survive a checkpoint and restore, halt cleanly on
 * SIGRTMIN+3. The host's debian-12 image is unpacked once for the class (~250 MB).
 */
class RuncSystemdIT {

  private static final Logger log = LoggerFactory.getLogger(RuncSystemdIT.class);

  private static final Duration BOOT_DEADLINE = Duration.ofSeconds(20);
  private static final Set<String> UP = Set.of("running", "degraded");

  private static RuncFixtures.Sandbox sandbox;
  private static Path rootfs;
  private static RuncRuntime runtime;

  @TempDir Path scratch;

  private final List<String> containers = new ArrayList<>();

  @BeforeAll
  static void unpackDebian() throws Exception {
    sandbox = RuncFixtures.Sandbox.unpack("debian-12");
    rootfs = sandbox.rootfs();
    runtime = sandbox.runtime();
  }

  @AfterAll
  static void removeLeftovers() {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  @AfterEach
  void removeContainers() {
    for (String id : containers) {
      try {
        runtime.delete(id, true);
      } catch (AgentException e) {
        log.debug("clean-up of {}: {}", id, e.getMessage());
      }
    }
  }

  private RuntimeSpec spec(String id) {
    return RuntimeSpec.builder(id, rootfs, scratch.resolve(id + ".console.log"))
        .initKind(InitKind.SYSTEMD)
        .hostname(id)
        .build();
  }

  /** Polls {@code systemctl is-system-running} until it says running or degraded; returns that word. */
  private String awaitSystemUp(String id) {
    AtomicReference<String> last = new AtomicReference<>("");
    await("systemd in " + id + " running or degraded (last said: " + last + ")")
        .atMost(BOOT_DEADLINE)
        .pollInterval(Duration.ofMillis(50))
        .until(() -> {
          CollectingSink sink = new CollectingSink();
          runtime.exec(id, ExecSpec.of("systemctl", "is-system-running").withTimeout(Duration.ofSeconds(10)), sink);
          last.set(sink.stdout().strip());
          return UP.contains(last.get());
        });
    return last.get();
  }

  @Test
  void bootsToRunningAndSurvivesCheckpointAndRestore() {
    String id = ConformanceSupport.newId("deb");
    containers.add(id);
    long t0 = System.nanoTime();
    RuntimeState started = runtime.start(spec(id));
    long startMs = (System.nanoTime() - t0) / 1_000_000;
    assertThat(started.status()).isEqualTo(RuntimeStatus.RUNNING);
    String word = awaitSystemUp(id);
    long upMs = (System.nanoTime() - t0) / 1_000_000;
    log.info("systemd container {}: start() {} ms, '{}' {} ms after start()", id, startMs, word, upMs);

    CollectingSink failed = new CollectingSink();
    runtime.exec(id, ExecSpec.of("systemctl", "--failed", "--no-legend", "--plain"), failed);
    log.info("failed units before checkpoint: [{}]", failed.stdout().strip().replace('\n', ';'));

    CheckpointResult result = runtime.checkpoint(id, scratch.resolve("images"), CheckpointOptions.STOP);
    assertThat(runtime.state(id)).isEmpty();
    long r0 = System.nanoTime();
    RuntimeState restored = runtime.restore(spec(id), result.imageDir(), RestoreOptions.DEFAULT);
    long restoreMs = (System.nanoTime() - r0) / 1_000_000;
    assertThat(restored.status()).isEqualTo(RuntimeStatus.RUNNING);
    assertThat(restored.pid()).isPresent();
    String after = awaitSystemUp(id);
    long upAfterMs = (System.nanoTime() - r0) / 1_000_000;
    log.info("systemd container {}: checkpoint {} ms ({} bytes), restore {} ms, '{}' {} ms after restore()",
        id, result.elapsed().toMillis(), result.imageBytes(), restoreMs, after, upAfterMs);

    CollectingSink uptime = new CollectingSink();
    assertThat(runtime.exec(id, ExecSpec.of("systemctl", "show", "--property=ActiveState", "systemd-journald"), uptime)).isZero();
    assertThat(uptime.stdout()).contains("ActiveState=active");
  }

  @Test
  void haltsCleanlyOnSigrtminPlus3() {
    String id = ConformanceSupport.newId("deb");
    containers.add(id);
    runtime.start(spec(id));
    awaitSystemUp(id);

    long t0 = System.nanoTime();
    runtime.kill(id, Signal.SYSTEMD_HALT, false);
    await("systemd halted").atMost(BOOT_DEADLINE).pollInterval(Duration.ofMillis(20))
        .until(() -> runtime.state(id).map(RuntimeState::status).orElse(null) == RuntimeStatus.STOPPED);
    log.info("systemd container {}: clean halt in {} ms", id, (System.nanoTime() - t0) / 1_000_000);
  }
}
