package io.ferry.coordinator.operations;

import io.ferry.coordinator.cluster.Leadership;
import io.ferry.coordinator.cluster.LeadershipListener;
import io.ferry.coordinator.hosts.AgentClients;
import io.ferry.coordinator.store.ClusterStore;
import io.ferry.coordinator.store.ContainerRecord;
import io.ferry.coordinator.store.OperationRecord;
import io.ferry.coordinator.store.StoreUnavailableException;
import io.ferry.coordinator.store.Versioned;
import io.ferry.proto.v1.Container;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs operations on the leader: each one's agent steps ({@link ContainerWork}), its progress
 * (phases that last at least {@link #PROGRESS_DELAY}, see {@link DeferredProgress}) and its end,
 * recorded in ZooKeeper. A coordinator that gains leadership resumes every operation
 * still RUNNING in the store, from the top (the steps are idempotent); one that loses it stops
 * writing at once (it checks before every write, and its writes are conditional on versions, so a
 * deposed leader cannot overwrite its successor's work).
 *
 * <p>Ending: a failed launch or copy is undone (the host's copy removed, the reservation given
 * back), so it leaves nothing; other failed operations leave the container as the host has it.
 * Calls that fail because the host is unreachable are retried {@link #ATTEMPTS} times.
 *
 * <p>Thread-safe; work runs on a bounded pool of named threads.
 */
public final class OperationRunner implements LeadershipListener, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(OperationRunner.class);
  private static final int ATTEMPTS = 4;
  /** A phase is recorded once it has lasted this long (see {@link DeferredProgress}). */
  static final Duration PROGRESS_DELAY = Duration.ofMillis(250);

  private final ClusterStore store;
  private final Leadership leadership;
  private final ContainerWork work;
  private final Migrations migrations;
  private final Failovers failovers;
  private final Clock clock;
  private final Duration retryDelay;
  private final ExecutorService pool;
  /**
   * Host operations (evacuation, restore) wait for the container operations they start: they run
   * on threads of their own, so they never hold the pool those need.
   */
  private final ExecutorService hostPool;
  private volatile Evacuations evacuations;
  private final Set<String> running = ConcurrentHashMap.newKeySet();
  private final ScheduledThreadPoolExecutor progressTimer;

  /** This coordinator stopped leading while running an operation: leave it to the new leader. */
  private static final class LostLeadership extends RuntimeException {
    LostLeadership() {
      super("no longer the leader", null, false, false);
    }
  }

  public OperationRunner(
      ClusterStore store, Leadership leadership, AgentClients agents, Migrations migrations, Clock clock, int threads, Duration retryDelay) {
    this.store = store;
    this.leadership = leadership;
    this.work = new ContainerWork(agents);
    this.migrations = migrations;
    this.failovers = new Failovers(store, agents, clock);
    this.clock = clock;
    this.retryDelay = retryDelay;
    AtomicInteger n = new AtomicInteger();
    this.pool =
        new ThreadPoolExecutor(
            threads,
            threads,
            60,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "operation-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    ((ThreadPoolExecutor) pool).allowCoreThreadTimeOut(true);
    this.progressTimer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "operation-progress");
      t.setDaemon(true);
      return t;
    });
    progressTimer.setRemoveOnCancelPolicy(true);
    AtomicInteger h = new AtomicInteger();
    this.hostPool = java.util.concurrent.Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "host-operation-" + h.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** Who runs EVACUATE and RESTORE_HOST operations (built after the runner: it starts operations). */
  public void setEvacuations(Evacuations evacuations) {
    this.evacuations = evacuations;
  }

  /**
   * Marks operation {@code id} as this coordinator's before it is recorded, so {@link
   * #resumeRunning} does not start a second run of it while its caller still works on it (a
   * migration reserves and prepares before the runner takes over). The caller then calls {@link
   * #submitClaimed} or, when nothing was recorded or it ended, {@link #release}.
   */
  public void claim(String id) {
    running.add(id);
  }

  /** Gives up a {@link #claim} without running anything. */
  public void release(String id) {
    running.remove(id);
  }

  /** Runs a claimed operation: exactly once, even if an upkeep round picks it up meanwhile. */
  public void submitClaimed(OperationRecord operation) {
    running.remove(operation.id());
    submit(operation);
  }

  /**
   * Begins the failover of {@code record} (an HA container whose host died) unless one is running:
   * records the operation and runs it.
   *
   * @return the operation, or empty when a failover of it is running already
   */
  public Optional<OperationRecord> failOver(ContainerRecord record) {
    boolean running = store.operations().stream()
        .anyMatch(op -> op.kind() == OperationRecord.Kind.FAILOVER && op.target().equals(record.name()) && !op.state().isFinal());
    if (running) {
      return Optional.empty();
    }
    OperationRecord op = failovers.plan(record);
    store.createOperation(op);
    submit(op);
    return Optional.of(op);
  }

  /** Runs {@code operation} (already recorded) unless it is running here already. */
  public void submit(OperationRecord operation) {
    if (!running.add(operation.id())) {
      return;
    }
    (operation.kind().onHost() ? hostPool : pool).execute(
        () -> {
          MDC.put("op", operation.id());
          MDC.put(operation.kind().onHost() ? "host" : "container", operation.target());
          try {
            if (operation.kind() == OperationRecord.Kind.MIGRATE) {
              migrations.execute(operation, this::requireLeader);
            } else if (operation.kind() == OperationRecord.Kind.FAILOVER) {
              failovers.execute(operation, this::requireLeader);
            } else if (operation.kind().onHost()) {
              Evacuations e = evacuations;
              if (e == null) {
                throw new IllegalStateException("no one runs host operations on this coordinator");
              }
              e.execute(operation, this::requireLeader);
            } else {
              execute(operation);
            }
          } catch (LostLeadership e) {
            log.info("left operation {} to the new leader", operation.id());
          } catch (RuntimeException e) {
            log.error("operation {} could not be recorded; a leader will resume it", operation.id(), e);
          } finally {
            running.remove(operation.id());
            MDC.clear();
          }
        });
  }

  @Override
  public void leadershipGained() {
    resumeRunning();
  }

  /**
   * Submits every operation the store shows RUNNING that this coordinator is not running. Called
   * on gaining leadership and then on every upkeep round, so an operation recorded by a previous
   * leader just before it died is picked up even if it reached this coordinator's mirror late.
   */
  public void resumeRunning() {
    if (!leadership.isLeader()) {
      return;
    }
    store.operations().stream()
        .filter(op -> !op.state().isFinal())
        .sorted(Comparator.comparing(OperationRecord::id))
        .forEach(
            op -> {
              if (!running.contains(op.id())) {
                log.info("resuming operation {} ({} {})", op.id(), op.kind().label(), op.target());
                submit(op);
              }
            });
  }

  @Override
  public void leadershipLost() {
    // Running tasks notice at their next write.
  }

  private void execute(OperationRecord start) {
    OperationRecord[] op = {start};
    Optional<Versioned<ContainerRecord>> found = awaitContainer(start.target());
    if (found.isEmpty()) {
      if (start.kind() == OperationRecord.Kind.DELETE) {
        record(op[0].succeeded(clock.millis()));
      } else {
        record(op[0].failed("NOT_FOUND: container " + start.target() + " is not in the cluster", clock.millis()));
      }
      return;
    }
    ContainerRecord container = found.get().value();
    Optional<Container> result;
    try (DeferredProgress progress = new DeferredProgress(progressTimer, PROGRESS_DELAY, this::record)) {
      if (op[0].cancelRequested()) {
        throw new CancelledException();
      }
      result =
          withRetries(
              () ->
                  work.run(
                      op[0],
                      container,
                      (phase, percent) -> {
                        OperationRecord latest = store.operation(op[0].id()).orElse(op[0]);
                        if (latest.cancelRequested() && !op[0].cancelRequested()) {
                          op[0] = op[0].withCancelRequested(clock.millis());
                        }
                        if (op[0].cancelRequested()) {
                          throw new CancelledException();
                        }
                        op[0] = op[0].inPhase(phase, percent, clock.millis());
                        progress.show(op[0]);
                      }));
    } catch (LostLeadership e) {
      throw e;
    } catch (CancelledException e) {
      end(op[0], container, op[0].cancelled(clock.millis()));
      return;
    } catch (RuntimeException e) {
      String why = describe(e);
      log.warn("operation {} ({} {}) failed: {}", op[0].id(), op[0].kind().label(), op[0].target(), why);
      end(op[0], container, op[0].failed(why, clock.millis()));
      return;
    }
    if (op[0].kind() == OperationRecord.Kind.DELETE) {
      requireLeader();
      store.forget(container.name(), op[0].succeeded(clock.millis()));
      log.info("deleted container {}", container.name());
      return;
    }
    finish(op[0].succeeded(clock.millis()), container.name(), result);
    log.info("operation {} ({} {}) succeeded", op[0].id(), op[0].kind().label(), op[0].target());
  }

  /** Ends a failed or cancelled operation: undoes a launch or copy, else records the end. */
  private void end(OperationRecord op, ContainerRecord container, OperationRecord ended) {
    if (op.kind() == OperationRecord.Kind.LAUNCH || op.kind() == OperationRecord.Kind.COPY) {
      try {
        withRetries(
            () -> {
              work.undoCreate(container);
              return Optional.empty();
            });
      } catch (RuntimeException undo) {
        log.error("could not remove {} from host {} after its failed {}: {}", container.name(), container.host(), op.kind().label(), describe(undo));
        finish(ended, container.name(), Optional.empty());
        return;
      }
      requireLeader();
      store.forget(container.name(), ended);
      return;
    }
    finish(ended, container.name(), Optional.empty());
  }

  /** Records the end of {@code ended} and the container's observed state, retrying lost races. */
  private void finish(OperationRecord ended, String name, Optional<Container> observed) {
    for (int attempt = 0; ; attempt++) {
      requireLeader();
      Optional<Versioned<ContainerRecord>> current = store.container(name);
      if (current.isEmpty()) {
        record(ended);
        return;
      }
      ContainerRecord next = current.get().value().withOperation("", clock.millis());
      if (observed.isPresent()) {
        next = next.withObserved(observed.get().toByteArray(), clock.millis());
      }
      try {
        store.finish(ended, next, current.get().version());
        return;
      } catch (ClusterStore.ConflictException e) {
        if (attempt >= 20) {
          throw e;
        }
      }
    }
  }

  private void record(OperationRecord op) {
    requireLeader();
    store.updateOperation(op);
  }

  private void requireLeader() {
    if (!leadership.isLeader()) {
      throw new LostLeadership();
    }
  }

  /** The container's record; a launch's record may reach this coordinator's mirror a moment late. */
  private Optional<Versioned<ContainerRecord>> awaitContainer(String name) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    Optional<Versioned<ContainerRecord>> found = store.container(name);
    while (found.isEmpty() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      found = store.container(name);
    }
    return found;
  }

  private <T> T withRetries(java.util.function.Supplier<T> call) {
    for (int attempt = 1; ; attempt++) {
      requireLeader();
      try {
        return call.get();
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        boolean transientFailure = code == Status.Code.UNAVAILABLE;
        if (!transientFailure || attempt >= ATTEMPTS) {
          throw e;
        }
        log.info("host unreachable ({}), trying again", e.getStatus().getDescription());
        try {
          Thread.sleep(retryDelay.toMillis() * attempt);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /** "CODE: message", as recorded in a failed operation. */
  static String describe(Throwable e) {
    if (e instanceof StatusRuntimeException s) {
      return s.getStatus().getCode() + ": " + s.getStatus().getDescription();
    }
    if (e instanceof StoreUnavailableException) {
      return "UNAVAILABLE: " + e.getMessage();
    }
    return "INTERNAL: " + e;
  }

  private static final class CancelledException extends RuntimeException {
    CancelledException() {
      super("cancelled", null, false, false);
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
    hostPool.shutdownNow();
    progressTimer.shutdownNow();
  }
}
