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
