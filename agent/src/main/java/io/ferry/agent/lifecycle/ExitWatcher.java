package io.ferry.agent.lifecycle;

import io.ferry.agent.AgentException;
import io.ferry.agent.runtime.RuntimeState;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices containers whose init exited on its own (a crash, {@code poweroff} inside, the last
 * service ending) and records them STOPPED, so the agent never reports a dead container as
 * running. A sweep reads each live container's {@code /proc/PID/stat} (no runc call) every
 * interval; {@link #settle} also runs on demand when a caller asks for one container.
 *
 * <p>The init is not the agent's child, so its exit status is not known: the detail says so. A
 * container busy with another operation is left to that operation.
 */
final class ExitWatcher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ExitWatcher.class);

  static final String EXITED = "init exited on its own (its exit status is not visible to the agent)";

  /** The operation name this watcher holds a container's lock under. */
  static final String CHECK = "exit check";

  private final ContainerContext ctx;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "exit-watcher");
            t.setDaemon(true);
            return t;
          });

  ExitWatcher(ContainerContext ctx) {
    this.ctx = ctx;
  }

  void start(Duration interval) {
    timer.scheduleWithFixedDelay(this::sweep, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** True when the container is recorded live but its init process has exited. */
  boolean hasExited(ContainerRecord record) {
    Integer pid = ctx.initPids.get(record.name());
    return record.status().isLive() && pid != null && ProcessExit.exited(pid);
  }

  private void sweep() {
    try {
      List<ContainerRecord> live = ctx.all().stream().filter(this::hasExited).toList();
      live.forEach(r -> settle(r.name()));
    } catch (RuntimeException e) {
      log.error("exit sweep failed: {}", e.getMessage(), e);
    }
  }

  /**
   * Records the container STOPPED if its init has exited (runc's leftover removed).
   *
   * @return the container's record as it now is
   */
  ContainerRecord settle(String name) {
    try (ContainerLocks.Guard guard = ctx.locks.acquire(name, CHECK)) {
      ContainerRecord record = ctx.require(name);
      if (!record.status().isLive()) {
        return record;
      }
      Optional<RuntimeState> state = ctx.runtime.state(name);
      if (state.isPresent() && state.get().alive()) {
        return record;
      }
      if (state.isPresent()) {
        ctx.runtime.delete(name, true);
      }
      ctx.initPids.remove(name);
      return ctx.move(record, ContainerStatus.STOPPED, EXITED);
    } catch (AgentException e) {
      if (e.kind() != AgentException.Kind.CONFLICT) {
        log.warn("container={} exit check failed: {}", name, e.getMessage());
      }
      return ctx.require(name);
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
