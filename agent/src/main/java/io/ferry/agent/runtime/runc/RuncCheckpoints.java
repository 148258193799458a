package io.ferry.agent.runtime.runc;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import io.ferry.agent.runtime.CheckpointOptions;
import io.ferry.agent.runtime.CheckpointResult;
import io.ferry.agent.runtime.LazyCheckpointer;
import io.ferry.agent.runtime.PageStreaming;
import io.ferry.agent.runtime.RestoreOptions;
import io.ferry.agent.runtime.Limits;
import io.ferry.agent.runtime.RuntimeSpec;
import io.ferry.agent.runtime.RuntimeState;
import io.ferry.agent.runtime.RuntimeStatus;
import io.ferry.common.process.CommandResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoint and restore through {@code runc --criu CRIU checkpoint|restore}. Besides what runc
 * does, this handles the console log, which CRIU would otherwise refuse (see {@link
 * ExternalFiles}), and puts the end of CRIU's log into every failure.
 */
final class RuncCheckpoints {

  private static final Logger log = LoggerFactory.getLogger(RuncCheckpoints.class);

  private final RuncCli cli;
  private final StateLayout layout;
  private final Bundles bundles;
  private final Supplier<CgroupV1> cgroups;
  private final Function<String, String> cgroupPath;
  private final Path criu;
  private final CriuTuning tuning;

  RuncCheckpoints(
      RuncCli cli, StateLayout layout, Bundles bundles, Supplier<CgroupV1> cgroups, Function<String, String> cgroupPath,
      Path criu, CriuTuning tuning) {
    this.cli = cli;
    this.layout = layout;
    this.bundles = bundles;
    this.cgroups = cgroups;
    this.cgroupPath = cgroupPath;
    this.criu = criu;
    this.tuning = tuning;
  }

  /**
   * Where CRIU also looks for the paths of inotify watches. A watch is dumped as a file handle,
   * which an overlay rootfs cannot resolve, so CRIU scans directories for the inode instead, by
   * default only /etc, /var/spool and /lib/udev: dbus-daemon watches its service directories under
   * /usr/share/dbus-1 (seen failing: "fsnotify: Can't dump that handle"), systemd units under /usr/lib.
   * systemd also watches the zone file /etc/localtime points to: the handle of the watch a restore
   * made could not be opened on the next dump, so a systemd container moved once could not move
   * again until /usr/share/zoneinfo was scanned too.
   */
  static final List<String> IRMAP_SCAN_PATHS =
      List.of(
          "irmap-scan-path /usr/share/dbus-1",
          "irmap-scan-path /usr/lib/systemd",
          "irmap-scan-path /lib/systemd",
          "irmap-scan-path /usr/share/polkit-1",
          "irmap-scan-path /usr/share/zoneinfo");

  CheckpointResult checkpoint(String id, Path imageDir, CheckpointOptions options) {
    return checkpoint(id, imageDir, options, java.util.OptionalInt.empty());
  }

  /** As {@link #checkpoint(String, Path, CheckpointOptions)}, the pages sent to {@code 127.0.0.1:port} when given. */
  CheckpointResult checkpoint(String id, Path imageDir, CheckpointOptions options, java.util.OptionalInt pageServerPort) {
    long started = System.nanoTime();
    DumpSubject subject = dumpSubject(id);
    prepareImageDir(id, imageDir);
    Path work;
    List<String> keys;
    try {
      keys = consoleKeys(subject);
      List<String> lines = new java.util.ArrayList<>(ExternalFiles.dumpLines(keys));
      lines.addAll(IRMAP_SCAN_PATHS);
      lines.addAll(tuning.dumpConfigLines());
      bundles.writeCriuConfig(id, lines);
      work = bundles.freshCriuWork(id);
    } catch (IOException e) {
      throw new AgentException(Kind.INTERNAL, "cannot prepare the checkpoint of container " + id + ": " + e.getMessage(), e);
    }
    List<String> args = new ArrayList<>(List.of("checkpoint", "--image-path", imageDir.toString(), "--work-path", work.toString()));
    if (options.leaveRunning()) {
      args.add("--leave-running");
    }
    pageServerPort.ifPresent(port -> args.addAll(List.of("--page-server", "127.0.0.1:" + port)));
    addFlags(args, options.tcpEstablished(), options.fileLocks(), options.externalUnixSockets());
    args.add(id);
    CommandResult result;
    try (QuotaLift lifted = new QuotaLift(id)) {
      result = cli.run(RuncOp.CHECKPOINT, id, cli.argvWithCriu(args), c -> c);
    }
    if (!result.succeeded()) {
      throw RuncCli.failure(RuncOp.CHECKPOINT, id, result.stderr(), CriuLogs.describe(work.resolve("dump.log")));
    }
    try {
      ExternalFiles.writeMetadata(imageDir, keys);
      Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
      long bytes = size(imageDir);
      log.info("container={} op=checkpoint images={} bytes={} leave_running={} took_ms={}",
          id, imageDir, bytes, options.leaveRunning(), elapsed.toMillis());
      return new CheckpointResult(imageDir, bytes, elapsed);
    } catch (IOException e) {
      throw new AgentException(Kind.INTERNAL, "cannot finish the checkpoint of container " + id + " in " + imageDir
          + ": " + e.getMessage(), e);
    }
  }

  RuntimeState restore(RuntimeSpec spec, Path imageDir, RestoreOptions options) {
    long started = System.nanoTime();
    String id = spec.id();
    RestoreSetup setup = prepareRestore(spec, imageDir);
    Path bundle = setup.bundle();
    Path work = setup.work();
    List<String> args = new ArrayList<>(List.of(
        "restore", "--detach", "--image-path", imageDir.toString(), "--work-path", work.toString(),
        "--bundle", bundle.toString(), "--pid-file", layout.pidFile(id).toString()));
    addFlags(args, options.tcpEstablished(), options.fileLocks(), options.externalUnixSockets());
    args.add(id);
    // CRIU gets runc's stdio: its fd 1 (the console log) replaces the dumped console (inherit-fd).
    CommandResult result = cli.run(RuncOp.RESTORE, id, cli.argvWithCriu(args),
        c -> c.stdoutTo(spec.consoleLog()).stderrTo(spec.consoleLog()));
    if (!result.succeeded()) {
      AgentException error = RuncCli.failure(RuncOp.RESTORE, id, result.stderr(), CriuLogs.describe(work.resolve("restore.log")));
      cleanUpFailedRestore(id);
      throw error;
    }
    restoreCpuQuota(spec);
    RuntimeState state = restoredState(id);
    log.info("container={} op=restore images={} pid={} took_ms={}", id, imageDir, state.pid().orElse(0),
        (System.nanoTime() - started) / 1_000_000);
    return state;
  }

  /**
   * Post-copy dump: {@code runc checkpoint --lazy-pages --page-server 127.0.0.1:PORT --status-fd 1}.
   * CRIU's page server would bind every address (runc passes no address for lazy dumps), so the
   * container's CRIU configuration says {@code address 127.0.0.1}, which CRIU applies over runc's
   * options. runc writes one byte to its stdout (the status fd) when the page server is ready.
   */
  LazyCheckpointer.LazyDump checkpointLazily(
      String id, Path imageDir, CheckpointOptions options, int port, Duration timeout) {
    long started = System.nanoTime();
    DumpSubject subject = dumpSubject(id);
    prepareImageDir(id, imageDir);
    Path work;
    List<String> keys;
    try {
      keys = consoleKeys(subject);
      List<String> lines = new ArrayList<>(ExternalFiles.dumpLines(keys));
      lines.addAll(IRMAP_SCAN_PATHS);
      lines.addAll(tuning.dumpConfigLines());
      lines.add("address 127.0.0.1");
      bundles.writeCriuConfig(id, lines);
      work = bundles.freshCriuWork(id);
    } catch (IOException e) {
      throw new AgentException(Kind.INTERNAL, "cannot prepare the checkpoint of container " + id + ": " + e.getMessage(), e);
    }
    List<String> args = new ArrayList<>(List.of("checkpoint", "--image-path", imageDir.toString(), "--work-path", work.toString(),
        "--lazy-pages", "--page-server", "127.0.0.1:" + port, "--status-fd", "1"));
    if (options.leaveRunning()) {
      args.add("--leave-running");
    }
    addFlags(args, options.tcpEstablished(), options.fileLocks(), options.externalUnixSockets());
    args.add(id);
    Path stderr = work.resolve("runc-checkpoint.err");
    Process process;
    Path dumpLog = work.resolve("dump.log");
    // Lifted until CRIU's parasite is done (the ready byte); serving pages afterwards runs in CRIU.
    long runcStarted;
    try (QuotaLift lifted = new QuotaLift(id)) {
      runcStarted = System.nanoTime();
      try {
        process = new ProcessBuilder(cli.argvWithCriu(args))
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .redirectError(stderr.toFile())
            .start();
      } catch (IOException e) {
        throw new AgentException(Kind.INTERNAL, "cannot run runc checkpoint for " + id + ": " + e.getMessage(), e);
      }
      CompletableFuture<Integer> ready = CompletableFuture.supplyAsync(() -> {
        try {
          return process.getInputStream().read();
        } catch (IOException e) {
          return -1;
        }
      });
      int signal;
      try {
        signal = ready.get(cli.timeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        io.ferry.common.process.Command.killTree(process);
        throw new AgentException(Kind.TIMEOUT, "runc checkpoint --lazy-pages of " + id + " was not ready within "
            + cli.timeout().toMillis() + " ms" + describe(stderr, dumpLog));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        io.ferry.common.process.Command.killTree(process);
        throw new AgentException(Kind.INTERNAL, "interrupted while checkpointing " + id);
      } catch (java.util.concurrent.ExecutionException e) {
        signal = -1;
      }
      if (signal != 0) {
        io.ferry.common.process.Command.killTree(process);
        waitQuietly(process);
        throw RuncCli.failure(RuncOp.CHECKPOINT, id, read(stderr), CriuLogs.describe(dumpLog));
      }
    }
    try {
      ExternalFiles.writeMetadata(imageDir, keys);
      long bytes = size(imageDir);
      Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
      log.info("container={} op=checkpoint-lazy images={} bytes={} page_server=127.0.0.1:{} took_ms={} (prepare {} ms,"
          + " runc until the page server was ready {} ms)", id, imageDir, bytes, port, elapsed.toMillis(),
          TimeUnit.NANOSECONDS.toMillis(runcStarted - started), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - runcStarted));
      CheckpointResult images = new CheckpointResult(imageDir, bytes, elapsed);
      return new LazyDumpProcess(id, process, images, stderr, dumpLog, timeout);
    } catch (IOException e) {
      io.ferry.common.process.Command.killTree(process);
      throw new AgentException(Kind.INTERNAL, "cannot finish the checkpoint of container " + id + ": " + e.getMessage(), e);
    }
  }

  /** A lazy dump's {@code runc checkpoint}, serving pages until the target has them all. */
  private static final class LazyDumpProcess implements LazyCheckpointer.LazyDump {
    private final String id;
    private final Process process;
    private final CheckpointResult images;
    private final Path stderr;
    private final Path dumpLog;
    private final long deadline;

    LazyDumpProcess(String id, Process process, CheckpointResult images, Path stderr, Path dumpLog, Duration timeout) {
      this.id = id;
      this.process = process;
      this.images = images;
      this.stderr = stderr;
      this.dumpLog = dumpLog;
      this.deadline = System.nanoTime() + timeout.toNanos();
    }

    @Override
    public CheckpointResult images() {
      return images;
    }

    @Override
    public void awaitDone(Duration timeout) {
      long wait = Math.min(timeout.toNanos(), Math.max(0, deadline - System.nanoTime()));
      try {
        if (!process.waitFor(wait, TimeUnit.NANOSECONDS)) {
          io.ferry.common.process.Command.killTree(process);
          throw new AgentException(Kind.TIMEOUT, "the lazy dump of " + id + " still served pages after "
              + Duration.ofNanos(wait).toMillis() + " ms" + describe(stderr, dumpLog));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AgentException(Kind.INTERNAL, "interrupted while the lazy dump of " + id + " served pages");
      }
      if (process.exitValue() != 0) {
        throw RuncCli.failure(RuncOp.CHECKPOINT, id, read(stderr), CriuLogs.describe(dumpLog));
      }
      log.info("container={} op=checkpoint-lazy every page served", id);
    }

    @Override
    public void close() {
      if (process.isAlive()) {
        io.ferry.common.process.Command.killTree(process);
        waitQuietly(process);
        log.info("container={} op=checkpoint-lazy page server stopped", id);
      }
    }
  }

  /**
   * Post-copy restore: CRIU's lazy-pages daemon (in the same work directory, where it listens on
   * {@code lazy-pages.socket} for the restore) connects to {@code 127.0.0.1:port}, then {@code runc
   * restore --lazy-pages} hands it the restored memory to fill.
   */
  LazyCheckpointer.LazyRestore restoreLazily(RuntimeSpec spec, Path imageDir, RestoreOptions options, int port, Duration timeout) {
    long started = System.nanoTime();
    String id = spec.id();
    RestoreSetup setup = prepareRestore(spec, imageDir);
    long prepared = System.nanoTime();
    Path bundle = setup.bundle();
    Path work = setup.work();
    Path daemonLog = work.resolve("lazy-pages.log");
    Process daemon;
    try {
      daemon = new ProcessBuilder(criu.toString(), "lazy-pages", "--page-server", "--address", "127.0.0.1",
          "--port", Integer.toString(port), "--images-dir", imageDir.toString(), "--work-dir", work.toString(),
          "-v4", "--log-file", daemonLog.toString())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .redirectErrorStream(true)
          .redirectOutput(work.resolve("lazy-pages.out").toFile())
          .start();
    } catch (IOException e) {
      throw new AgentException(Kind.INTERNAL, "cannot start CRIU's lazy-pages daemon for " + id + ": " + e.getMessage(), e);
    }
    long socketDeadline = System.nanoTime() + cli.timeout().toNanos();
    while (!Files.exists(work.resolve("lazy-pages.socket"))) {
      if (!daemon.isAlive() || System.nanoTime() > socketDeadline) {
        io.ferry.common.process.Command.killTree(daemon);
        throw new AgentException(Kind.INTERNAL, "CRIU's lazy-pages daemon for " + id + " did not start"
            + describe(work.resolve("lazy-pages.out"), daemonLog));
      }
      java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
    }
    long daemonReady = System.nanoTime();
    List<String> args = new ArrayList<>(List.of(
        "restore", "--detach", "--lazy-pages", "--image-path", imageDir.toString(), "--work-path", work.toString(),
        "--bundle", bundle.toString(), "--pid-file", layout.pidFile(id).toString()));
    addFlags(args, options.tcpEstablished(), options.fileLocks(), options.externalUnixSockets());
    args.add(id);
    CommandResult result;
    try {
      result = cli.run(RuncOp.RESTORE, id, cli.argvWithCriu(args), c -> c.stdoutTo(spec.consoleLog()).stderrTo(spec.consoleLog()));
    } catch (AgentException e) {
      io.ferry.common.process.Command.killTree(daemon);
      cleanUpFailedRestore(id);
      throw e;
    }
    if (!result.succeeded()) {
      io.ferry.common.process.Command.killTree(daemon);
      AgentException error = RuncCli.failure(RuncOp.RESTORE, id, result.stderr(), CriuLogs.describe(work.resolve("restore.log")));
      cleanUpFailedRestore(id);
      throw error;
    }
    long restored = System.nanoTime();
    restoreCpuQuota(spec);
    RuntimeState state = restoredState(id);
    log.info("container={} op=restore-lazy images={} pid={} took_ms={} (bundle {} ms, lazy-pages daemon {} ms, runc restore {} ms)",
        id, imageDir, state.pid().orElse(0), (System.nanoTime() - started) / 1_000_000, (prepared - started) / 1_000_000,
        (daemonReady - prepared) / 1_000_000, (restored - daemonReady) / 1_000_000);
    CompletableFuture<Void> pages = new CompletableFuture<>();
    daemon.onExit().whenComplete((p, error) -> {
      if (p != null && p.exitValue() == 0) {
        log.info("container={} op=restore-lazy every page arrived after {} ms", id, (System.nanoTime() - started) / 1_000_000);
        pages.complete(null);
      } else {
        pages.completeExceptionally(new AgentException(Kind.INTERNAL, "CRIU's lazy-pages daemon for " + id + " failed"
            + describe(work.resolve("lazy-pages.out"), daemonLog)));
      }
    });
    CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
      if (daemon.isAlive()) {
        io.ferry.common.process.Command.killTree(daemon);
      }
    });
    return new LazyCheckpointer.LazyRestore(state, pages);
  }

  private RuntimeState restoredState(String id) {
    return cli.startedState(id).orElseGet(() -> cli.state(id)
        .orElseThrow(() -> new AgentException(Kind.INTERNAL, "container " + id + " vanished right after its restore"))
        .toRuntimeState());
  }

  private static String describe(Path stderr, Path log) {
    String err = read(stderr);
    return (err.isBlank() ? "" : ": " + err) + CriuLogs.describe(log);
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file).strip() : "";
    } catch (IOException e) {
      return "";
    }
  }

  private static void waitQuietly(Process process) {
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * {@code criu page-server --status-fd 1}: CRIU writes one byte to its stdout once it listens.
   * Its log goes next to the image directory ({@code <imageDir>-page-server.log}).
   */
  PageStreaming.PageServer receivePages(Path imageDir, int port, Duration timeout) {
    Path logFile = imageDir.resolveSibling(imageDir.getFileName() + "-page-server.log");
    Process process;
    try {
      Files.createDirectories(imageDir);
      process = new ProcessBuilder(criu.toString(), "page-server", "--images-dir", imageDir.toString(),
          "--address", "127.0.0.1", "--port", Integer.toString(port), "--status-fd", "1", "-v4",
          "--work-dir", imageDir.getParent().toString(), "--log-file", logFile.getFileName().toString())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .redirectError(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
          .start();
    } catch (IOException e) {
      throw new AgentException(Kind.INTERNAL, "cannot start a CRIU page server into " + imageDir + ": " + e.getMessage(), e);
    }
    CompletableFuture<Integer> ready = CompletableFuture.supplyAsync(() -> {
      try {
        return process.getInputStream().read();
      } catch (IOException e) {
        return -1;
      }
    });
    try {
      if (ready.get(cli.timeout().toMillis(), TimeUnit.MILLISECONDS) != 0) {
        io.ferry.common.process.Command.killTree(process);
        throw new AgentException(Kind.INTERNAL, "the CRIU page server into " + imageDir + " did not start" + CriuLogs.describe(logFile));
      }
    } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
      io.ferry.common.process.Command.killTree(process);
      throw new AgentException(Kind.TIMEOUT, "the CRIU page server into " + imageDir + " was not ready" + CriuLogs.describe(logFile));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      io.ferry.common.process.Command.killTree(process);
      throw new AgentException(Kind.INTERNAL, "interrupted while starting a page server");
    }
    log.info("op=page-server images={} listening on 127.0.0.1:{}", imageDir, port);
    long deadline = System.nanoTime() + timeout.toNanos();
    return new PageStreaming.PageServer() {
      @Override
      public void awaitDone(Duration wait) {
        long nanos = Math.min(wait.toNanos(), Math.max(0, deadline - System.nanoTime()));
        try {
          if (!process.waitFor(nanos, TimeUnit.NANOSECONDS)) {
            io.ferry.common.process.Command.killTree(process);
            throw new AgentException(Kind.TIMEOUT, "the CRIU page server into " + imageDir + " did not finish" + CriuLogs.describe(logFile));
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AgentException(Kind.INTERNAL, "interrupted while waiting for a page server");
        }
        if (process.exitValue() != 0) {
          throw new AgentException(Kind.INTERNAL, "the CRIU page server into " + imageDir + " failed (exit " + process.exitValue() + ")"
              + CriuLogs.describe(logFile));
        }
      }

      @Override
      public void close() {
        if (process.isAlive()) {
          io.ferry.common.process.Command.killTree(process);
          waitQuietly(process);
        }
      }
    };
  }

  /** The bundle and CRIU work directory a restore runs with. */
  private record RestoreSetup(Path bundle, Path work) {}

  /**
   * The container's CPU quota lifted while CRIU dumps it: CRIU's parasite runs inside the
   * container's own tasks, so a quota (the coordinator's default is half a core) throttles the
   * dump. The tasks are frozen meanwhile, so they gain nothing from it. Closing puts the quota back
   * when the container still exists (after a stopping checkpoint it does not); a failure to put it
   * back is logged (the container is frozen or gone, and its recorded limits can be applied again).
   */
  private final class QuotaLift implements AutoCloseable {
    private final String id;
    private final java.util.OptionalLong quota;

    QuotaLift(String id) {
      this.id = id;
      java.util.OptionalLong q;
      try {
        q = cgroups.get().readLimits(cgroupPath.apply(id)).cpuQuotaMicros();
      } catch (RuntimeException e) {
        log.debug("container={} no CPU quota read before the dump: {}", id, e.getMessage());
        q = java.util.OptionalLong.empty();
      }
      quota = q;
      if (quota.isPresent()) {
        cli.check(RuncOp.UPDATE, id, List.of("update", "--cpu-quota", "-1", id));
      }
    }

    @Override
    public void close() {
      if (quota.isEmpty() || cli.state(id).isEmpty()) {
        return;
      }
      try {
        cli.check(RuncOp.UPDATE, id, List.of("update", "--cpu-quota", Long.toString(quota.getAsLong()), id));
      } catch (AgentException e) {
        log.warn("container={} op=checkpoint its CPU quota could not be put back after the dump: {}", id, e.getMessage());
      }
    }
  }

  /**
   * The spec a restore's bundle is written from: the container's CPU quota lifted. CRIU's restore
   * moves itself into the container's cgroup early, so with the quota on (the coordinator's default
   * is half a core) every step of the restore waited out CFS periods: 1.1 s for a 0.5 MB busybox
   * that restores in 0.3 s unthrottled. {@link #restoreCpuQuota} puts the quota back right after.
   */
  private static RuntimeSpec withoutCpuQuota(RuntimeSpec spec) {
    Limits l = spec.limits();
    if (l.cpuQuotaMicros().isEmpty()) {
      return spec;
    }
    return spec.withLimits(new Limits(l.cpuShares(), java.util.OptionalLong.empty(), java.util.OptionalLong.empty(),
        l.memoryBytes(), l.pidsMax()));
  }

  /**
   * Applies the CPU quota a restore ran without ({@code runc update}). A failure leaves the restored
   * container running without its quota and says so: failing here would throw away a container
   * that runs, and its recorded limits can be applied again.
   */
  private void restoreCpuQuota(RuntimeSpec spec) {
    Limits l = spec.limits();
    if (l.cpuQuotaMicros().isEmpty()) {
      return;
    }
    List<String> args = new ArrayList<>(List.of("update", "--cpu-quota", Long.toString(l.cpuQuotaMicros().getAsLong())));
    l.cpuPeriodMicros().ifPresent(p -> args.addAll(List.of("--cpu-period", Long.toString(p))));
    args.add(spec.id());
    try {
      cli.check(RuncOp.UPDATE, spec.id(), args);
    } catch (AgentException e) {
      log.warn("container={} op=restore runs without its CPU quota: {}", spec.id(), e.getMessage());
    }
  }

  /**
   * Checks that {@code imageDir} holds images and no container has {@code spec}'s id, then writes
   * the bundle and CRIU's restore configuration and makes a fresh work directory.
   */
  private RestoreSetup prepareRestore(RuntimeSpec spec, Path imageDir) {
    String id = spec.id();
    if (!Files.isDirectory(imageDir)) {
      throw AgentException.invalid("cannot restore container " + id + ": no checkpoint images in " + imageDir);
    }
    bundles.checkHostPaths(spec);
    if (cli.exists(id)) {
      throw new AgentException(Kind.ALREADY_EXISTS, "cannot restore container " + id + ": a container with that id exists");
    }
    Path bundle = bundles.prepare(withoutCpuQuota(spec), OciSpecWriter.Purpose.RESTORE);
    try {
      bundles.writeCriuConfig(id, ExternalFiles.restoreLines(ExternalFiles.readMetadata(imageDir)));
      return new RestoreSetup(bundle, bundles.freshCriuWork(id));
    } catch (IOException | IllegalArgumentException e) {
      throw new AgentException(Kind.INTERNAL, "cannot prepare the restore of container " + id + ": " + e.getMessage(), e);
    }
  }

  /** A container about to be dumped: its init's pid and the console log its bundle names. */
  private record DumpSubject(String id, int pid, Optional<String> consoleLog) {}

  /**
   * The container to dump. When runc's state file names an init that is alive (running or
   * paused) and the bundle names its console log, no runc call runs (about 10 ms, inside a
   * migration's frozen window). Otherwise {@code runc state} decides.
   *
   * @throws AgentException NOT_FOUND for an unknown container, FAILED_PRECONDITION for one that is
   *     neither running nor paused
   */
  private DumpSubject dumpSubject(String id) {
    java.util.OptionalInt pid = cli.liveInitPid(id);
    if (pid.isPresent()) {
      try {
        return new DumpSubject(id, pid.getAsInt(), bundles.consoleLog(id));
      } catch (IOException e) {
        log.debug("container={} bundle unreadable, asking runc: {}", id, e.getMessage());
      }
    }
    RuncState state = cli.state(id).orElseThrow(() -> AgentException.notFound("no container " + id));
    if (state.status() != RuntimeStatus.RUNNING && state.status() != RuntimeStatus.PAUSED) {
      throw AgentException.precondition("container " + id + " is " + state.status() + ": only a running or paused"
          + " container can be checkpointed");
    }
    return new DumpSubject(id, state.pid(), state.annotation(OciSpecWriter.CONSOLE_ANNOTATION));
  }

  /** Keys of the console log as open in the container's processes (see {@link ExternalFiles}). */
  private List<String> consoleKeys(DumpSubject subject) throws IOException {
    if (subject.consoleLog().isEmpty()) {
      return List.of();
    }
    List<Integer> pids = new ArrayList<>(cgroups.get().processes(cgroupPath.apply(subject.id())));
    if (subject.pid() > 0 && !pids.contains(subject.pid())) {
      pids.add(subject.pid());
    }
    return ExternalFiles.keys(Path.of(subject.consoleLog().get()), pids, Path.of("/proc"));
  }

  private static void prepareImageDir(String id, Path imageDir) {
    try {
      Files.createDirectories(imageDir);
      try (Stream<Path> entries = Files.list(imageDir)) {
        if (entries.findAny().isPresent()) {
          throw AgentException.invalid("cannot checkpoint container " + id + ": image directory " + imageDir + " is not empty");
        }
      }
    } catch (IOException e) {
      throw AgentException.invalid("cannot checkpoint container " + id + " into " + imageDir + ": " + e.getMessage());
    }
  }

  private void cleanUpFailedRestore(String id) {
    try {
      if (cli.state(id).isPresent()) {
        cli.check(RuncOp.DELETE, id, List.of("delete", "--force", id));
      }
    } catch (AgentException e) {
      log.warn("container={} op=restore cleanup after the failed restore failed: {}", id, e.getMessage());
    }
  }

  private static void addFlags(List<String> args, boolean tcp, boolean locks, boolean extUnix) {
    if (tcp) {
      args.add("--tcp-established");
    }
    if (locks) {
      args.add("--file-locks");
    }
    if (extUnix) {
      args.add("--ext-unix-sk");
    }
  }

  private static long size(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      long total = 0;
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        total += Files.size(f);
      }
      return total;
    }
  }
}
