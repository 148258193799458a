package io.ferry.agent.runtime.runc;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import io.ferry.agent.runtime.CheckpointOptions;
import io.ferry.agent.runtime.CheckpointResult;
import io.ferry.agent.runtime.Checkpointer;
import io.ferry.agent.runtime.LazyCheckpointer;
import io.ferry.agent.runtime.PageStreaming;
import io.ferry.agent.runtime.ContainerRuntime;
import io.ferry.agent.runtime.ExecSink;
import io.ferry.agent.runtime.ExecSpec;
import io.ferry.agent.runtime.InitKind;
import io.ferry.agent.runtime.Limits;
import io.ferry.agent.runtime.ResourceUsage;
import io.ferry.agent.runtime.RestoreOptions;
import io.ferry.agent.runtime.RuntimeCapabilities;
import io.ferry.agent.runtime.RuntimeSpec;
import io.ferry.agent.runtime.RuntimeState;
import io.ferry.agent.runtime.RuntimeStatus;
import io.ferry.agent.runtime.Signal;
import io.ferry.common.Names;
import io.ferry.common.process.CommandResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runc + CRIU driver: runc 1.1 driven through its command line with its state under {@code
 * <stateRoot>/runc} (so Ferry's containers are apart from any other runc user's, and a new agent
 * process finds them again), one OCI bundle per container under {@code <stateRoot>/bundles/<id>},
 * CRIU for checkpoints. Files under the state root are laid out as {@link StateLayout} says.
 *
 * <p>Start runs {@code runc run --detach} with init's stdin on {@code /dev/null} and its stdout and
 * stderr appended to the console log (files, not pipes: nothing ties the container to this JVM,
 * and CRIU can dump it). Limits are cgroup v1 (memory, cpu, pids) under {@code /ferry/<id>}; reads
 * of limits and usage go to the cgroup files, not to runc's records.
 *
 * <p>Every runc and CRIU invocation is bounded by {@code commandTimeout} (exec by its own). Thread
 * safety and error kinds are as {@link ContainerRuntime} and {@link Checkpointer} specify.
 */
public final class RuncRuntime implements ContainerRuntime, Checkpointer, LazyCheckpointer, PageStreaming {

  private static final Logger log = LoggerFactory.getLogger(RuncRuntime.class);

  /** runc's CRIU configuration on this host; its lines are copied into each container's. */
  public static final Path HOST_CRIU_CONFIG = Path.of("/etc/criu/runc.conf");

  private final Path criu;
  private final RuncCli cli;
  private final Bundles bundles;
  private final StateLayout layout;
  private final RuncExec exec;
  private final RuncCheckpoints checkpoints;
  private final String cgroupParent;

  /**
   * @param runcBinary runc 1.1 or later
   * @param criuBinary the CRIU runc is told to use for checkpoints; checkpoints are unavailable
   *     when it is not executable
   * @param stateRoot the driver's directory, created when missing; keep it across agent restarts
   * @param commandTimeout the longest one runc or CRIU invocation may take
   */
  public RuncRuntime(Path runcBinary, Path criuBinary, Path stateRoot, Duration commandTimeout) {
    this(runcBinary, criuBinary, stateRoot, commandTimeout, OciSpecWriter.CGROUP_PARENT, false);
  }

  /**
   * As {@link #RuncRuntime(Path, Path, Path, Duration)}, with containers' cgroups under {@code
   * cgroupParent} (an absolute cgroup path such as {@code /ferry}) instead of {@code /ferry}, and
   * dumps locking the network with nftables when {@code nftablesNetworkLock} (the host probe found
   * CRIU's {@code network_lock_nftables}; see {@link CriuTuning}); with CRIU's default otherwise.
   */
  public RuncRuntime(
      Path runcBinary, Path criuBinary, Path stateRoot, Duration commandTimeout, String cgroupParent, boolean nftablesNetworkLock) {
    Objects.requireNonNull(runcBinary, "runcBinary");
    if (cgroupParent == null || !cgroupParent.matches("(/[A-Za-z0-9][A-Za-z0-9_.-]*)+")) {
      throw AgentException.invalid("cgroup parent must be an absolute cgroup path like /ferry: " + cgroupParent);
    }
    this.cgroupParent = cgroupParent;
    this.criu = Objects.requireNonNull(criuBinary, "criuBinary");
    Objects.requireNonNull(commandTimeout, "commandTimeout");
    if (commandTimeout.isNegative() || commandTimeout.isZero()) {
      throw AgentException.invalid("runc command timeout must be positive: " + commandTimeout);
    }
    this.layout = new StateLayout(stateRoot.toAbsolutePath().normalize());
    try {
      Files.createDirectories(layout.runcRoot());
    } catch (IOException e) {
      throw new AgentException(Kind.INTERNAL, "cannot create the runc state directory " + layout.runcRoot() + ": "
          + e.getMessage(), e);
    }
    this.cli = new RuncCli(runcBinary, criuBinary, layout.runcRoot(), commandTimeout);
    OciSpecWriter writer = new OciSpecWriter(cgroupParent);
    this.bundles = new Bundles(layout, writer, HOST_CRIU_CONFIG);
    this.exec = new RuncExec(cli);
    this.checkpoints = new RuncCheckpoints(cli, layout, bundles, CgroupV1::host, writer::cgroupPathOf, criuBinary,
        new CriuTuning(nftablesNetworkLock));
  }

  @Override
  public RuntimeCapabilities capabilities() {
    return new RuntimeCapabilities("runc", EnumSet.allOf(InitKind.class), true, true, true, Files.isExecutable(criu), true);
  }

  @Override
  public RuntimeState start(RuntimeSpec spec) {
    long started = System.nanoTime();
    String id = spec.id();
    bundles.checkHostPaths(spec);
    if (cli.exists(id)) {
      throw new AgentException(Kind.ALREADY_EXISTS, "container " + id + " already exists");
    }
    Path bundle = bundles.prepare(spec, OciSpecWriter.Purpose.START);
    List<String> args = List.of("run", "--detach", "--bundle", bundle.toString(), "--pid-file", layout.pidFile(id).toString(), id);
    CommandResult result;
    try {
      result = cli.run(RuncOp.START, id, cli.argv(args), c -> c.stdoutTo(spec.consoleLog()).stderrTo(spec.consoleLog()));
    } catch (AgentException e) {
      cleanUpFailedStart(id);
      throw e;
    }
    if (!result.succeeded()) {
      AgentException error = RuncCli.failure(RuncOp.START, id, result.stderr(), "");
      // ALREADY_EXISTS: another start of the same id won the race; that container is not ours.
      if (error.kind() != Kind.ALREADY_EXISTS) {
        cleanUpFailedStart(id);
      }
      throw error;
    }
    RuntimeState state = cli.startedState(id).orElseGet(() -> requireState(id).toRuntimeState());
    log.info("container={} op=start init={} pid={} took_ms={}", id, spec.initKind(), state.pid().orElse(0),
        (System.nanoTime() - started) / 1_000_000);
    return state;
  }

  @Override
  public Optional<RuntimeState> state(String id) {
    checkId(id);
    return cli.state(id).map(RuncState::toRuntimeState);
  }

  @Override
  public List<RuntimeState> list() {
    return cli.list().stream().map(RuncState::toRuntimeState).toList();
  }

  @Override
  public void kill(String id, Signal signal, boolean allProcesses) {
    checkId(id);
    List<String> args = new ArrayList<>(List.of("kill"));
    if (allProcesses) {
      args.add("--all");
    }
    args.addAll(List.of(id, Integer.toString(signal.number())));
    cli.check(RuncOp.KILL, id, args);
    log.info("container={} op=kill signal={} all={}", id, signal, allProcesses);
  }

  @Override
  public void delete(String id, boolean force) {
    checkId(id);
    boolean known = cli.state(id).isPresent();
    List<String> args = force ? List.of("delete", "--force", id) : List.of("delete", id);
    try {
      // runc delete --force succeeds for unknown ids (it clears stale state): run it anyway.
      cli.check(RuncOp.DELETE, id, args);
    } catch (AgentException e) {
      if (e.kind() == Kind.NOT_FOUND) {
        bundles.remove(id);
      }
      throw e;
    }
    if (!known) {
      bundles.remove(id);
      throw AgentException.notFound("no container " + id);
    }
    bundles.remove(id);
    log.info("container={} op=delete force={}", id, force);
  }

  @Override
  public void pause(String id) {
    checkId(id);
    cli.check(RuncOp.PAUSE, id, List.of("pause", id));
    log.info("container={} op=pause", id);
  }

  @Override
  public void resume(String id) {
    checkId(id);
    cli.check(RuncOp.RESUME, id, List.of("resume", id));
    log.info("container={} op=resume", id);
  }

  @Override
  public void updateLimits(String id, Limits limits) {
    checkId(id);
    List<String> args = new ArrayList<>(List.of("update"));
    limits.cpuShares().ifPresent(v -> args.addAll(List.of("--cpu-share", Long.toString(v))));
    limits.cpuQuotaMicros().ifPresent(v -> args.addAll(List.of("--cpu-quota", Long.toString(v))));
    limits.cpuPeriodMicros().ifPresent(v -> args.addAll(List.of("--cpu-period", Long.toString(v))));
    // Swap stays off: memory+swap is always set to the memory limit, and runc orders the writes.
    limits.memoryBytes().ifPresent(v -> args.addAll(List.of("--memory", Long.toString(v), "--memory-swap", Long.toString(v))));
    limits.pidsMax().ifPresent(v -> args.addAll(List.of("--pids-limit", Long.toString(v))));
    requireAlive(id, "update the limits of");
    if (args.size() == 1) {
      return;
    }
    args.add(id);
    cli.check(RuncOp.UPDATE, id, args);
    log.info("container={} op=update limits={}", id, limits);
  }

  @Override
  public Limits readLimits(String id) {
    checkId(id);
    requireAlive(id, "read the limits of");
    return CgroupV1.host().readLimits(cgroupParent + "/" + id);
  }

  @Override
  public ResourceUsage usage(String id) {
    checkId(id);
    requireAlive(id, "read the usage of");
    return CgroupV1.host().usage(cgroupParent + "/" + id);
  }

  /** The container's cgroup's processes whose {@code /proc/PID/stat} state is not Z (gone ones are not counted). */
  @Override
  public long liveProcesses(String id) {
    checkId(id);
    requireAlive(id, "count the processes of");
    long live = 0;
    for (int pid : CgroupV1.host().processes(cgroupParent + "/" + id)) {
      try {
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Integer.toString(pid), "stat"));
        int close = stat.lastIndexOf(')');
        if (close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) != 'Z') {
          live++;
        }
      } catch (java.io.IOException e) {
        // exited meanwhile
      }
    }
    return live;
  }

  @Override
  public int exec(String id, ExecSpec spec, ExecSink sink) {
    checkId(id);
    Objects.requireNonNull(sink, "sink");
    RuncState state = requireState(id);
    if (state.status() != RuntimeStatus.RUNNING) {
      throw AgentException.precondition("cannot exec in container " + id + ": it is " + state.status());
    }
    return exec.run(id, spec, sink);
  }

  @Override
  public CheckpointResult checkpoint(String id, Path imageDir, CheckpointOptions options) {
    checkId(id);
    return checkpoints.checkpoint(id, imageDir.toAbsolutePath().normalize(), options);
  }

  @Override
  public RuntimeState restore(RuntimeSpec spec, Path imageDir, RestoreOptions options) {
    return checkpoints.restore(spec, imageDir.toAbsolutePath().normalize(), options);
  }

  @Override
  public CheckpointResult checkpointToPageServer(String id, Path imageDir, CheckpointOptions options, int pageServerPort) {
    checkId(id);
    return checkpoints.checkpoint(id, imageDir.toAbsolutePath().normalize(), options, java.util.OptionalInt.of(pageServerPort));
  }

  @Override
  public PageServer receivePages(Path imageDir, int port, Duration timeout) {
    return checkpoints.receivePages(imageDir.toAbsolutePath().normalize(), port, timeout);
  }

  @Override
  public LazyDump checkpointLazily(String id, Path imageDir, CheckpointOptions options, int pageServerPort, Duration timeout) {
    checkId(id);
    return checkpoints.checkpointLazily(id, imageDir.toAbsolutePath().normalize(), options, pageServerPort, timeout);
  }

  @Override
  public LazyRestore restoreLazily(RuntimeSpec spec, Path imageDir, RestoreOptions options, int pageServerPort, Duration timeout) {
    return checkpoints.restoreLazily(spec, imageDir.toAbsolutePath().normalize(), options, pageServerPort, timeout);
  }

  /**
   * Refuses ids that are not DNS labels before they reach runc or a path under the state root
   * (an id like {@code ..} must never name a directory to delete).
   */
  private static String checkId(String id) {
    String problem = Names.problem("container", id);
    if (problem != null) {
      throw AgentException.invalid(problem);
    }
    return id;
  }

  private RuncState requireState(String id) {
    return cli.state(id).orElseThrow(() -> AgentException.notFound("no container " + id));
  }

  private void requireAlive(String id, String what) {
    if (requireState(id).status() == RuntimeStatus.STOPPED) {
      throw AgentException.precondition("cannot " + what + " container " + id + ": it is stopped");
    }
  }

  private void cleanUpFailedStart(String id) {
    try {
      if (cli.state(id).isPresent()) {
        cli.check(RuncOp.DELETE, id, List.of("delete", "--force", id));
      }
      bundles.remove(id);
    } catch (AgentException e) {
      log.warn("container={} op=start cleanup after the failed start failed: {}", id, e.getMessage());
    }
  }
}
