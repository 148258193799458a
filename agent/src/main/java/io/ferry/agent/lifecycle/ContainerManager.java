package io.ferry.agent.lifecycle;

import static io.ferry.agent.lifecycle.ContainerContext.unit;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import io.ferry.agent.images.ImageRecord;
import io.ferry.agent.lifecycle.ContainerRecord.NetworkIdentity;
import io.ferry.agent.network.NetworkAttachment;
import io.ferry.agent.runtime.CheckpointOptions;
import io.ferry.agent.runtime.Checkpointer;
import io.ferry.agent.runtime.ExecSink;
import io.ferry.agent.runtime.ExecSpec;
import io.ferry.agent.runtime.InitKind;
import io.ferry.agent.runtime.Limits;
import io.ferry.agent.runtime.RestoreOptions;
import io.ferry.agent.runtime.RuntimeSpec;
import io.ferry.agent.runtime.RuntimeState;
import io.ferry.agent.runtime.Signal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The containers of this host: create, start, stop, restart, freeze, unfreeze, delete, live limit
 * changes and exec, each a checked move of the container's state machine ({@link
 * ContainerLifecycle}) persisted before it is reported.
 *
 * <p>Concurrency: one operation at a time per container (a second one is refused with CONFLICT),
 * any number on different containers. Exec does not take the lock: it needs the container running
 * and may run alongside other execs.
 *
 * <p>Failure: a failed create undoes every step it made (no rootfs, network or record left); a
 * failed start leaves the container STOPPED (or CHECKPOINTED for a stateful start, keeping the
 * checkpoint) with the reason in its detail; a failed checkpoint leaves it running. The runtime
 * (runc) is the truth about processes: a container found exited is reported STOPPED.
 */
public final class ContainerManager {

  private static final Logger log = LoggerFactory.getLogger(ContainerManager.class);

  private final ContainerContext ctx;
  private final ExitWatcher exits;

  ContainerManager(ContainerContext ctx, ExitWatcher exits) {
    this.ctx = ctx;
    this.exits = exits;
  }

  // ---- queries ----

  /** One container with its live facts (pid, cgroup limits and usage, disk). */
  public ContainerView get(String name) {
    ContainerRecord record = ctx.require(name);
    if (exits.hasExited(record)) {
      record = exits.settle(name);
    }
    return view(record, true);
  }

  /** Every container, sorted by name; from memory, without touching runc or the cgroups. */
  public List<ContainerView> list() {
    return ctx.all().stream()
        .sorted(Comparator.comparing(ContainerRecord::name))
        .map(r -> view(r, false))
        .toList();
  }

  public Map<ContainerStatus, Long> countsByStatus() {
    Map<ContainerStatus, Long> counts = new EnumMap<>(ContainerStatus.class);
    ctx.all().forEach(r -> counts.merge(r.status(), 1L, Long::sum));
    return counts;
  }

  /** The containers made from image {@code digest} (an image in use cannot be deleted). */
  public List<String> containersUsing(String digest) {
    return ctx.all().stream().filter(r -> r.imageDigest().equals(digest)).map(ContainerRecord::name).sorted().toList();
  }

  // ---- lifecycle ----

  /**
   * Creates a container: rootfs overlay on the image, a network identity (the one in the spec, or
   * a lease of the host's own), its record; then starts it when asked. Nothing is left behind when
   * a step fails.
   *
   * @throws AgentException ALREADY_EXISTS, NOT_FOUND (image), INVALID_ARGUMENT, INTERNAL
   */
  public ContainerView create(CreateSpec spec, boolean start) {
    ImageRecord image = ctx.images.find(spec.image());
    return ctx.operation(
        spec.name(),
        "create",
        () -> {
          if (ctx.find(spec.name()).isPresent()) {
            throw new AgentException(Kind.ALREADY_EXISTS, "container " + spec.name() + " already exists");
          }
          Deque<Runnable> undo = new ArrayDeque<>();
          try {
            // The network and the rootfs do not depend on each other: make them side by side.
            CompletableFuture<NetworkAttachment> attaching =
                CompletableFuture.supplyAsync(() -> ctx.attachNetwork(spec.name(), spec.network()), ctx.setupPool);
            undo.push(() -> {
              attaching.handle((net, error) -> null).join();
              ctx.network.detach(spec.name());
            });
            ctx.storage.mount(spec.name(), ctx.images.rootfs(image.digest()));
            undo.push(() -> ctx.storage.remove(spec.name()));
            NetworkAttachment net = join(attaching);
            Instant now = ctx.clock.instant();
            ContainerRecord record =
                new ContainerRecord(
                    spec.name(), spec.image(), image.digest(), spec.init(), spec.command(), spec.env(), spec.limits(),
                    ContainerStatus.STOPPED, "created", now, now, identity(net), spec.ha());
            ctx.save(record);
            undo.push(() -> ctx.forget(spec.name()));
            ctx.network.announceNew(spec.name()); // where its address now is, for the other hosts
            ContainerView created = start ? startLocked(record, false) : view(record, true);
            undo.clear();
            return created;
          } finally {
            rollback(spec.name(), undo);
          }
        });
  }

  /**
   * Starts a stopped container, or resumes a checkpointed one from its checkpoint ({@code
   * stateful}).
   *
   * @throws AgentException FAILED_PRECONDITION when not stopped (or, stateful, not checkpointed)
   */
  public ContainerView start(String name, boolean stateful) {
    return ctx.operation(name, stateful ? "start-stateful" : "start", () -> startLocked(ctx.require(name), stateful));
  }

  /** Stops a running or frozen container: cleanly, by force, or by checkpointing it. */
  public ContainerView stop(String name, StopOptions options) {
    String op = options.stateful() ? "stop-stateful" : options.force() ? "stop-force" : "stop";
    return ctx.operation(name, op, () -> view(stopLocked(ctx.require(name), options), true));
  }

  /** Stops (cleanly, within {@code timeout}) and starts again. */
  public ContainerView restart(String name, Duration timeout) {
    return ctx.operation(
        name,
        "restart",
        () -> {
          ContainerRecord record = ctx.require(name);
          if (record.status().isLive()) {
            record = stopLocked(record, new StopOptions(false, timeout, false));
          }
          return startLocked(record, false);
        });
  }

  public ContainerView freeze(String name) {
    return ctx.operation(
        name,
        "freeze",
        () -> {
          ContainerRecord record = requireStatus(ctx.require(name), ContainerStatus.RUNNING, "freeze");
          ctx.runtime.pause(name);
          return view(ctx.move(record, ContainerStatus.FROZEN, "frozen by request"), true);
        });
  }

  public ContainerView unfreeze(String name) {
    return ctx.operation(
        name,
        "unfreeze",
        () -> {
          ContainerRecord record = requireStatus(ctx.require(name), ContainerStatus.FROZEN, "unfreeze");
          ctx.runtime.resume(name);
          return view(ctx.move(record, ContainerStatus.RUNNING, "unfrozen by request"), true);
        });
  }

  /**
   * Deletes a container with everything it has on this host: processes (with {@code force}),
   * rootfs, snapshots, checkpoint, network identity, record. The record goes last, so a failure
   * half-way leaves a container that a second delete finishes.
   *
   * @throws AgentException FAILED_PRECONDITION when it is live and {@code force} is false
   */
  public void delete(String name, boolean force) {
    ctx.operation(name, "delete", unit(() -> deleteLocked(ctx.require(name), force)));
  }

  /** The delete itself, with the container's lock held by the caller. */
  void deleteLocked(ContainerRecord record, boolean force) {
    String name = record.name();
    if (record.status().isLive() || record.status() == ContainerStatus.STARTING) {
      if (!force) {
        throw AgentException.precondition(
            "container " + name + " is " + record.status() + ": stop it first, or delete with force");
      }
      // runc kill --all signals frozen tasks and thaws them: they die without running again.
      killAndWait(name);
    }
    if (ctx.runtime.state(name).isPresent()) {
      ctx.runtime.delete(name, true);
    }
    ctx.network.detach(name);
    ctx.storage.remove(name);
    ctx.forget(name);
    log.info("container={} deleted", name);
  }

  /**
   * Changes limits; on a live container in its cgroup at once, without restart. Values not set in
   * {@code update} stay as they are. When the kernel refuses a value nothing changes.
   *
   * @return the container with the limits the cgroup now holds
   */
  public ContainerView updateLimits(String name, Limits update) {
    return ctx.operation(
        name,
        "update-limits",
        () -> {
          ContainerRecord record = ctx.require(name);
          Limits merged = record.limits().merge(update);
          if (record.status().isLive()) {
            ctx.runtime.updateLimits(name, update);
          }
          return view(ctx.save(record.withLimits(merged)), true);
        });
  }

  /**
   * Runs a command in a running container, streaming its output to {@code sink}.
   *
   * @return the command's exit code
   */
  public int exec(String name, ExecSpec spec, ExecSink sink) {
    ContainerRecord record = ctx.require(name);
    requireStatus(record, ContainerStatus.RUNNING, "exec in");
    long start = System.nanoTime();
    int exit = ctx.runtime.exec(name, spec, sink);
    ctx.observer.succeeded("exec", Duration.ofNanos(System.nanoTime() - start));
    return exit;
  }

  // ---- the steps, called with the container's lock held ----

  /** Starts (or restores) the container; returns it running, described from runc's answer. */
  ContainerView startLocked(ContainerRecord record, boolean stateful) {
    ContainerStatus from = record.status();
    if (stateful && from != ContainerStatus.CHECKPOINTED) {
      throw AgentException.precondition("container " + record.name() + " has no checkpoint to resume (it is " + from + ")");
    }
    if (!stateful && from != ContainerStatus.STOPPED) {
      throw AgentException.precondition(
          "container " + record.name() + " is " + from + (from == ContainerStatus.CHECKPOINTED ? ": start it statefully or delete the checkpoint" : ": only a stopped container can start"));
    }
    record = ctx.move(record, ContainerStatus.STARTING, stateful ? "restoring checkpoint" : "starting");
    try {
      RuntimeSpec spec = ctx.prepare(record);
      // No runc leftover can exist here: every stop deletes it, and recovery deletes those of
      // containers that exited while no agent ran.
      RuntimeState state;
      if (stateful) {
        state = checkpointer().restore(spec, ctx.paths(record.name()).checkpoint(), RestoreOptions.DEFAULT);
        deleteCheckpoint(record.name());
      } else {
        state = ctx.runtime.start(spec);
      }
      String name = record.name();
      state.pid().ifPresent(pid -> ctx.initPids.put(name, pid));
      record = ctx.move(record, ContainerStatus.RUNNING, "started, init pid " + state.pid().orElse(0));
      // runc just applied the record's limits and nothing ran yet: no cgroup reads needed.
      return new ContainerView(record, state.pid(), record.limits(), Optional.empty(), ctx.storage.diskUsage(record.name()));
    } catch (RuntimeException e) {
      ctx.move(record, from, (stateful ? "restore failed: " : "start failed: ") + e.getMessage());
      throw e;
    }
  }

  ContainerRecord stopLocked(ContainerRecord record, StopOptions options) {
    if (!record.status().isLive()) {
      throw AgentException.precondition("container " + record.name() + " is " + record.status() + ", not running");
    }
    String name = record.name();
    if (record.status() == ContainerStatus.FROZEN) {
      // Frozen tasks neither shut down nor die of SIGKILL, and CRIU dumps running tasks.
      ctx.runtime.resume(name);
      record = ctx.move(record, ContainerStatus.RUNNING, "unfrozen to stop");
    }
    if (options.stateful()) {
      return checkpointLocked(record);
    }
    record = ctx.move(record, ContainerStatus.STOPPING, options.force() ? "killing" : "shutting down");
    String detail;
    if (options.force()) {
      killAndWait(name);
      detail = "killed by request";
    } else {
      Duration timeout = options.timeout() == null ? ctx.stopTimeout : options.timeout();
      boolean clean =
          record.init() == InitKind.SYSTEMD ? haltSystemd(name, timeout) : terminateProcesses(name, timeout);
      if (clean) {
        detail = "stopped by request";
      } else {
        killAndWait(name);
        detail = "killed after not stopping within " + timeout.toMillis() + " ms";
      }
    }
    if (ctx.runtime.state(name).isPresent()) {
      ctx.runtime.delete(name, true);
    }
    ctx.initPids.remove(name);
    return ctx.move(record, ContainerStatus.STOPPED, detail);
  }

  private ContainerRecord checkpointLocked(ContainerRecord record) {
    String name = record.name();
    Checkpointer checkpointer = checkpointer();
    ContainerStatus from = record.status();
    record = ctx.move(record, ContainerStatus.STOPPING, "checkpointing");
    Path images = ctx.paths(name).checkpoint();
    try {
      deleteCheckpoint(name);
      Files.createDirectories(images);
      var result = checkpointer.checkpoint(name, images, CheckpointOptions.STOP);
      ctx.deleteExitedLeftover(name);
      ctx.initPids.remove(name);
      return ctx.move(
          record,
          ContainerStatus.CHECKPOINTED,
          "checkpointed: " + result.imageBytes() + " bytes in " + result.elapsed().toMillis() + " ms");
    } catch (IOException e) {
      ctx.move(record, from, "checkpoint failed: " + e.getMessage());
      throw AgentException.internal("cannot prepare the checkpoint of " + name + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      boolean alive = ctx.runtime.state(name).map(RuntimeState::alive).orElse(false);
      ctx.move(record, alive ? from : ContainerStatus.ERROR, "checkpoint failed: " + e.getMessage());
      throw e;
    }
  }

  void killAndWait(String name) {
    signal(name, Signal.KILL, true);
    if (!waitForExit(name, Duration.ofSeconds(10))) {
      throw new AgentException(Kind.TIMEOUT, "container " + name + " did not die within 10 s of SIGKILL");
    }
  }

  /** Waits for init to exit; true when it did within {@code timeout}. */
  private boolean waitForExit(String name, Duration timeout) {
    OptionalInt init = initPid(name);
    return init.isEmpty() || ProcessExit.await(init.getAsInt(), timeout);
  }

  /** systemd halts on SIGRTMIN+3: it stops its services in order and exits. */
  private boolean haltSystemd(String name, Duration timeout) {
    signal(name, Signal.SYSTEMD_HALT, false);
    return waitForExit(name, timeout);
  }

  /**
   * Any other init: every process gets SIGTERM. Services exit; an init that shuts down by itself
   * (tini, dumb-init) exits too. An init that runs its own slow halt sequence instead (busybox
   * init sleeps seconds between its signals) is left alone with nothing to manage: once it has
   * been the only process for {@link #ALONE_FOR}, the shutdown is complete and it is killed.
   *
   * @return true when the container stopped this way within {@code timeout}
   */
  private boolean terminateProcesses(String name, Duration timeout) {
    signal(name, Signal.TERM, true);
    OptionalInt init = initPid(name);
    if (init.isEmpty()) {
      return true;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    long aloneSince = 0;
    while (System.nanoTime() < deadline) {
      if (ProcessExit.await(init.getAsInt(), POLL)) {
        return true;
      }
      long pids;
      try {
        // Zombies not counted: busybox init reaps nothing while it sleeps through its halt sequence.
        pids = ctx.runtime.liveProcesses(name);
      } catch (AgentException e) {
        return ProcessExit.exited(init.getAsInt());
      }
      if (pids > 1) {
        aloneSince = 0;
      } else if (aloneSince == 0) {
        aloneSince = System.nanoTime();
      } else if (System.nanoTime() - aloneSince >= ALONE_FOR.toNanos()) {
        killAndWait(name);
        return true;
      }
    }
    return false;
  }

  /** How long init must be the only process left before a GENERIC stop counts as complete. */
  private static final Duration ALONE_FOR = Duration.ofMillis(150);

  private static final Duration POLL = Duration.ofMillis(20);

  /**
   * Sends a signal; a container whose init has already exited (it died on its own meanwhile) is
   * not an error: there is nothing left to signal, and the caller's wait finds it gone.
   */
  private void signal(String name, Signal signal, boolean allProcesses) {
    try {
      ctx.runtime.kill(name, signal, allProcesses);
    } catch (AgentException e) {
      if (initPid(name).isPresent()) {
        throw e;
      }
    }
  }

  /** The pid of the container's init while it is alive, as runc reports it. */
  private OptionalInt initPid(String name) {
    Optional<RuntimeState> state = ctx.runtime.state(name);
    if (state.isEmpty() || !state.get().alive()) {
      return OptionalInt.empty();
    }
    return state.get().pid();
  }

  private Checkpointer checkpointer() {
    return ctx.runtime
        .checkpointer()
        .orElseThrow(() -> AgentException.precondition("this host's runtime cannot checkpoint (no working CRIU)"));
  }

  private void deleteCheckpoint(String name) {
    Path images = ctx.paths(name).checkpoint();
    try {
      if (Files.exists(images)) {
        try (var files = Files.walk(images)) {
          for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      }
    } catch (IOException e) {
      throw AgentException.internal("cannot delete the checkpoint of " + name + ": " + e.getMessage(), e);
    }
  }

  private static ContainerRecord requireStatus(ContainerRecord record, ContainerStatus wanted, String what) {
    if (record.status() != wanted) {
      throw AgentException.precondition(
          "cannot " + what + " container " + record.name() + ": it is " + record.status() + ", not " + wanted);
    }
    return record;
  }

  private void rollback(String name, Deque<Runnable> undo) {
    while (!undo.isEmpty()) {
      try {
        undo.pop().run();
      } catch (RuntimeException e) {
        log.error("container={} rollback step failed, manual cleanup may be needed: {}", name, e.getMessage());
      }
    }
  }

  /** The result of a side task, its failure rethrown as it was. */
  private static <T> T join(CompletableFuture<T> task) {
    try {
      return task.join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw e;
    }
  }

  static NetworkIdentity identity(NetworkAttachment net) {
    return new NetworkIdentity(net.address().toString(), net.prefixLength(), net.gateway().toString(), net.mac().toString());
  }

  ContainerView view(ContainerRecord record, boolean live) {
    if (!live || !record.status().isLive()) {
      return new ContainerView(record, OptionalInt.empty(), record.limits(), Optional.empty(), live ? ctx.storage.diskUsage(record.name()) : -1);
    }
    try {
      Optional<RuntimeState> state = ctx.runtime.state(record.name());
      return new ContainerView(
          record,
          state.map(RuntimeState::pid).orElse(OptionalInt.empty()),
          ctx.runtime.readLimits(record.name()),
          Optional.of(ctx.runtime.usage(record.name())),
          ctx.storage.diskUsage(record.name()));
    } catch (AgentException e) {
      // The init may exit between the status check and the cgroup reads: report it stopped.
      ContainerRecord settled = exits.settle(record.name());
      if (settled.status().isLive()) {
        throw e;
      }
      return view(settled, live);
    }
  }
}
