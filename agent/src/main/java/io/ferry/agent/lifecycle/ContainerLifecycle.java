package io.ferry.agent.lifecycle;

import static io.ferry.agent.lifecycle.ContainerStatus.CHECKPOINTED;
import static io.ferry.agent.lifecycle.ContainerStatus.ERROR;
import static io.ferry.agent.lifecycle.ContainerStatus.FROZEN;
import static io.ferry.agent.lifecycle.ContainerStatus.RUNNING;
import static io.ferry.agent.lifecycle.ContainerStatus.STARTING;
import static io.ferry.agent.lifecycle.ContainerStatus.STOPPED;
import static io.ferry.agent.lifecycle.ContainerStatus.STOPPING;

import io.ferry.agent.AgentException;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The container state machine: which status may follow which. Every status change of a container
 * goes through {@link #check}, which logs it and refuses an illegal move.
 *
 * <pre>
 *             create
 *               |
 *               v         start            init up
 *   +-----> STOPPED ----------------> STARTING -------> RUNNING <----+
 *   |          ^  ^    start failed     |   ^             | |  ^      | unfreeze
 *   |          |  +---------------------+   | stateful    | |  |      |
 *   |          |                            | start       | |  +-- FROZEN
 *   |          |          stop / exit       |             | | freeze   |
 *   |          +------------ STOPPING <-----|-------------+ |          |
 *   |                         |    ^        |  stop         |          |
 *   |        checkpoint done  v    +--------|---------------|----------+ stop
 *   |                     CHECKPOINTED -----+               |
 *   |                                                       | exited by itself
 *   +-------------------------------------------------------+
 *
 *   Any status may move to ERROR; ERROR may move to STOPPED, RUNNING or FROZEN once the
 *   runtime's truth is known again (recovery, forced stop).
 * </pre>
 *
 * Thread-safety: stateless; callers hold the container's lock.
 */
public final class ContainerLifecycle {

  private static final Logger log = LoggerFactory.getLogger(ContainerLifecycle.class);

  private static final Map<ContainerStatus, Set<ContainerStatus>> ALLOWED = new EnumMap<>(ContainerStatus.class);

  static {
    ALLOWED.put(STOPPED, EnumSet.of(STARTING, ERROR));
    ALLOWED.put(STARTING, EnumSet.of(RUNNING, STOPPED, CHECKPOINTED, ERROR));
    ALLOWED.put(RUNNING, EnumSet.of(STOPPING, FROZEN, STOPPED, ERROR));
    ALLOWED.put(STOPPING, EnumSet.of(STOPPED, CHECKPOINTED, RUNNING, FROZEN, ERROR));
    ALLOWED.put(FROZEN, EnumSet.of(RUNNING, STOPPING, STOPPED, ERROR));
    ALLOWED.put(CHECKPOINTED, EnumSet.of(STARTING, STOPPED, ERROR));
    ALLOWED.put(ERROR, EnumSet.of(STOPPED, RUNNING, FROZEN, ERROR));
  }

  private ContainerLifecycle() {}

  public static boolean allowed(ContainerStatus from, ContainerStatus to) {
    return ALLOWED.get(from).contains(to);
  }

  /**
   * Checks and logs one move of container {@code name}.
   *
   * @throws AgentException FAILED_PRECONDITION when the move is not in the table
   */
  public static void check(String name, ContainerStatus from, ContainerStatus to, String detail) {
    if (!allowed(from, to)) {
      throw AgentException.precondition("container " + name + " cannot go from " + from + " to " + to);
    }
    log.info("container={} {} -> {}{}", name, from, to, detail.isEmpty() ? "" : " (" + detail + ")");
  }
}
