package io.ferry.agent.lifecycle;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * One operation at a time per container. A second operation on a container that is busy is
 * refused at once (ABORTED on the API), never queued behind it: two runc calls on one container
 * must never race, and a caller should know its request did not run.
 *
 * <p>Thread-safe. A lock is held by an operation, not a thread: {@link Guard#close()} may run on
 * another thread than {@link #acquire}.
 */
public final class ContainerLocks {

  /** Internal operations that hold a container only briefly; callers wait for them. */
  static final java.util.Set<String> BRIEF = java.util.Set.of(ExitWatcher.CHECK);

  private static final long BRIEF_WAIT_NANOS = 2_000_000_000L;

  private final ConcurrentMap<String, String> busy = new ConcurrentHashMap<>();

  /** A held lock; closing it releases the container. */
  public interface Guard extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Takes container {@code name} for {@code operation}.
   *
   * @throws AgentException CONFLICT naming the operation in progress
   */
  public Guard acquire(String name, String operation) {
    String running = busy.putIfAbsent(name, operation);
    // The agent's own checks (the exit watcher) hold a lock for a moment: wait them out
    // rather than refusing a caller for something it did not do.
    long deadline = System.nanoTime() + BRIEF_WAIT_NANOS;
    while (running != null && BRIEF.contains(running) && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
      running = busy.putIfAbsent(name, operation);
    }
    if (running != null) {
      throw new AgentException(
          Kind.CONFLICT, "container " + name + " is busy: " + running + " is in progress; retry when it ends");
    }
    return () -> busy.remove(name, operation);
  }

  /** The operation in progress on {@code name}, or null. */
  public String operationOn(String name) {
    return busy.get(name);
  }
}
