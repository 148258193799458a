package io.ferry.agent.runtime.runc;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.runtime.CheckpointOptions;
import io.ferry.agent.runtime.CheckpointResult;
import io.ferry.agent.runtime.CheckpointerConformance;
import io.ferry.agent.runtime.CollectingSink;
import io.ferry.agent.runtime.ConformanceSupport;
import io.ferry.agent.runtime.ContainerRuntime;
import io.ferry.agent.runtime.ExecSpec;
import io.ferry.agent.runtime.RestoreOptions;
import io.ferry.agent.runtime.RuntimeSpec;
import io.ferry.agent.runtime.RuntimeStatus;
import io.ferry.common.process.Command;
import io.ferry.common.process.CommandResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime conformance suite against real runc and CRIU (run as root), with the host's busybox
 * image unpacked once for the class, plus the runc driver's own checks: its files under the state
 * root and its start latency next to a bare {@code runc run -d}.
 */
class RuncRuntimeIT extends CheckpointerConformance {

  private static final Logger log = LoggerFactory.getLogger(RuncRuntimeIT.class);

  private static RuncFixtures.Sandbox sandbox;
  private static Path rootfs;
  private static RuncRuntime runtime;

  @TempDir Path scratch;

  @BeforeAll
  static void unpackBusybox() throws Exception {
    sandbox = RuncFixtures.Sandbox.unpack("busybox");
    rootfs = sandbox.rootfs();
    runtime = sandbox.runtime();
  }

  @AfterAll
  static void removeLeftovers() {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  @Override
  protected ContainerRuntime runtime() {
    return runtime;
  }

  @Override
  protected ContainerRuntime reopen() {
    return RuncFixtures.runtime(sandbox.stateRoot());
  }

  @Override
  protected Path busyboxRootfs() {
    return rootfs;
  }

  @Override
  protected Path scratch() {
    return scratch;
  }

  @Test
  void keepsItsFilesUnderTheStateRootAndRemovesThemOnDelete() throws Exception {
    String id = ConformanceSupport.newId("rt");
    start(counterSpec(id, true).build());
    StateLayout layout = new StateLayout(sandbox.stateRoot());

    assertThat(layout.bundle(id).resolve("config.json")).isRegularFile();
    assertThat(Files.readString(layout.criuConfig(id))).contains("enable-fs hugetlbfs");
    assertThat(layout.runcRoot().resolve(id)).isDirectory();
    awaitCounter(id, 1);
    assertThat(Files.readString(scratch.resolve(id + ".console.log"))).as("runc printed nothing").isEmpty();

    runtime.delete(id, true);
    assertThat(layout.bundle(id)).doesNotExist();
    assertThat(layout.runcRoot().resolve(id)).doesNotExist();
  }

  /**
   * Ferry's CRIU (deploy/criu/criu-empty-tmpfs-without-tar.patch) writes the image of an empty
   * tmpfs (runc's masks over /proc/acpi and /sys/firmware, an unused /dev/shm) itself: the dump and
   * the restore say so in their logs, GNU tar still reads every such image, and the restored mounts
   * have their modes back.
   */
  @Test
  void emptyTmpfsMountsAreDumpedAndRestoredWithoutTarAsArchivesTarReads() throws Exception {
    String id = ConformanceSupport.newId("rt");
    RuntimeSpec spec = counterSpec(id, true).build();
    start(spec);
    awaitCounter(id, 2);
    StateLayout layout = new StateLayout(sandbox.stateRoot());

    CheckpointResult result = checkpointer().checkpoint(id, scratch.resolve("images"), CheckpointOptions.STOP);

    assertThat(Files.readString(layout.criuWork(id).resolve("dump.log"))).contains("without tar");
    List<Path> tmpfsImages;
    try (var files = Files.list(result.imageDir())) {
      tmpfsImages = files.filter(f -> f.getFileName().toString().startsWith("tmpfs-dev-")).toList();
    }
    assertThat(tmpfsImages).hasSizeGreaterThanOrEqualTo(2);
    for (Path image : tmpfsImages) {
      Process tar = new ProcessBuilder("tar", "--list", "--gzip", "--file=" + image).redirectErrorStream(true).start();
      String listed = new String(tar.getInputStream().readAllBytes());
      assertThat(tar.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      assertThat(tar.exitValue()).as(image + ": " + listed).isZero();
      assertThat(listed).as(image.toString()).startsWith("./");
    }

    checkpointer().restore(spec, result.imageDir(), RestoreOptions.DEFAULT);
    assertThat(Files.readString(layout.criuWork(id).resolve("restore.log"))).contains("without tar");
    CollectingSink modes = new CollectingSink();
    assertThat(runtime.exec(id, ExecSpec.of("stat", "-c", "%a %n", "/dev/shm", "/proc/acpi"), modes)).isZero();
    assertThat(modes.stdout()).contains("1777 /dev/shm", "1777 /proc/acpi");
    awaitCounter(id, currentCounter(id) + 2);
  }

  /**
   * Ferry's CRIU (deploy/criu/criu-nftables-unlock-without-waiting.patch) opens its nftables
   * network lock with an accept rule and deletes the lock's table from a detached process: a dump
   * that leaves the container running, and a restore, say so in their logs, the container runs on,
   * and no table of CRIU's is left in its network namespace.
   */
  @Test
  void theNftablesNetworkLockIsOpenedAtOnceAndItsTableDeletedInTheBackground() throws Exception {
    RuncRuntime nftablesLocking = new RuncRuntime(RuncFixtures.runc(), RuncFixtures.criu(), sandbox.stateRoot(),
        RuncFixtures.COMMAND_TIMEOUT, OciSpecWriter.CGROUP_PARENT, true);
    var locking = nftablesLocking.checkpointer().orElseThrow();
    String id = ConformanceSupport.newId("rt");
    RuntimeSpec spec = counterSpec(id, true).build();
    start(spec);
    awaitCounter(id, 2);
    StateLayout layout = new StateLayout(sandbox.stateRoot());

    locking.checkpoint(id, scratch.resolve("snapshot"), CheckpointOptions.SNAPSHOT);
    assertThat(Files.readString(layout.criuWork(id).resolve("dump.log"))).contains("deleted in the background");
    awaitNoCriuTable(id);
    awaitCounter(id, currentCounter(id) + 2);

    CheckpointResult stopped = locking.checkpoint(id, scratch.resolve("stop"), CheckpointOptions.STOP);
    locking.restore(spec, stopped.imageDir(), RestoreOptions.DEFAULT);
    assertThat(Files.readString(layout.criuWork(id).resolve("restore.log"))).contains("deleted in the background");
    awaitNoCriuTable(id);
    awaitCounter(id, currentCounter(id) + 2);
  }

  /** Waits until {@code nft list tables} in the container's network namespace names no CRIU table. */
  private void awaitNoCriuTable(String id) {
    int pid = runtime.state(id).orElseThrow().pid().orElseThrow();
    String netns = "--net=/proc/" + pid + "/ns/net";
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).pollInterval(java.time.Duration.ofMillis(20))
        .untilAsserted(() -> {
          CommandResult tables = Command.of("nsenter", netns, "nft", "list", "tables").timeout(java.time.Duration.ofSeconds(10)).run();
          assertThat(tables.succeeded()).as("nft list tables: " + tables.stderr()).isTrue();
          assertThat(tables.stdout()).as("tables in the namespace of " + id).doesNotContain("CRIU-");
        });
  }

  @Test
  void failedStartRemovesItsBundle() {
    String id = ConformanceSupport.newId("rt");
    track(id);
    assertKind(io.ferry.agent.AgentException.Kind.INVALID_ARGUMENT,
        () -> runtime.start(counterSpec(id, true).args("/no/such/init").build()));
    StateLayout layout = new StateLayout(sandbox.stateRoot());
    assertThat(layout.bundle(id)).doesNotExist();
    assertThat(layout.runcRoot().resolve(id)).doesNotExist();
  }

  /** Nothing ties a container to the agent's process: it can be killed -9 and the container runs on. */
  @Test
  void initHoldsNothingOfTheAgent() throws Exception {
    String id = ConformanceSupport.newId("rt");
    int pid = start(counterSpec(id, true).build()).pid().getAsInt();

    long parent = ProcessHandle.of(pid).orElseThrow().parent().map(ProcessHandle::pid).orElse(0L);
    assertThat(parent).as("init's parent").isNotEqualTo(ProcessHandle.current().pid());
    Path console = scratch.resolve(id + ".console.log");
    // Until runc init has exec'd init (a moment after runc run -d returns), its own fds show.
    org.awaitility.Awaitility.await("init's descriptors").atMost(DEADLINE).pollInterval(POLL)
        .untilAsserted(() -> assertThat(openFiles(pid))
            .containsExactlyInAnyOrder("0->/dev/null", "1->" + console, "2->" + console));
  }

  private static List<String> openFiles(int pid) throws java.io.IOException {
    List<String> fds = new ArrayList<>();
    try (var entries = Files.list(Path.of("/proc", Integer.toString(pid), "fd"))) {
      for (Path fd : entries.toList()) {
        fds.add(fd.getFileName() + "->" + Files.readSymbolicLink(fd));
      }
    }
    return fds;
  }

  @Test
  void initOutputGoesToTheConsoleLog() throws Exception {
    String id = ConformanceSupport.newId("rt");
    Path console = scratch.resolve("logs/" + id + ".log");
    start(RuntimeSpec.builder(id, rootfs, console).args("/bin/sh", "-c", "echo out; echo err >&2; exec sleep 1000").build());
    org.awaitility.Awaitility.await().atMost(DEADLINE).pollInterval(POLL)
        .until(() -> Files.exists(console) && Files.readString(console).contains("out\nerr\n"));
  }

  /**
   * Start latency of busybox: the driver's {@code start()} (state check, bundle, {@code runc run
   * -d}, state) next to a bare {@code runc run -d} of the same config.json, 20 runs each.
   */
  @Test
  void startLatencyStaysCloseToBareRunc() throws Exception {
    int runs = 20;
    List<Double> driver = new ArrayList<>();
    List<Double> bare = new ArrayList<>();
    Path bareRoot = scratch.resolve("bare-runc");
    for (int i = 0; i < runs; i++) {
      String id = ConformanceSupport.newId("lat");
      RuntimeSpec spec = RuntimeSpec.builder(id, rootfs, scratch.resolve(id + ".log"))
          .args("/bin/sh", "-c", "exec sleep 1000").build();
      long t0 = System.nanoTime();
      assertThat(runtime.start(spec).status()).isEqualTo(RuntimeStatus.RUNNING);
      driver.add((System.nanoTime() - t0) / 1e6);
      Path bundle = scratch.resolve("bare-" + id);
      Files.copy(new StateLayout(sandbox.stateRoot()).bundle(id).resolve("config.json"), Files.createDirectories(bundle).resolve("config.json"));
      runtime.delete(id, true);

      List<String> argv = List.of(RuncFixtures.runc().toString(), "--root", bareRoot.toString(), "run", "-d", "--bundle",
          bundle.toString(), id);
      CommandResult run = Command.of(argv).timeout(RuncFixtures.COMMAND_TIMEOUT).stdoutTo(scratch.resolve(id + ".bare.log"))
          .stderrTo(scratch.resolve(id + ".bare.log")).check();
      bare.add(run.elapsed().toNanos() / 1e6);
      Command.of(RuncFixtures.runc().toString(), "--root", bareRoot.toString(), "delete", "--force", id)
          .timeout(RuncFixtures.COMMAND_TIMEOUT).check();
    }
    double driverP50 = RuncFixtures.percentile(driver.stream().sorted().toList(), 50);
    double bareP50 = RuncFixtures.percentile(bare.stream().sorted().toList(), 50);
    log.info("start latency busybox: driver start() {}; bare runc run -d {}", RuncFixtures.percentiles(driver),
        RuncFixtures.percentiles(bare));
    assertThat(driverP50).as("driver p50 %.1f ms vs bare runc p50 %.1f ms", driverP50, bareP50).isLessThan(bareP50 + 40);
  }
}
