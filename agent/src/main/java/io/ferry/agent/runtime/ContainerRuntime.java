package io.ferry.agent.runtime;

import java.util.List;
import java.util.Optional;

/**
 * Runs containers on this host: the agent's only way to start, inspect, signal, freeze, resize and
 * remove them. Runtime-neutral: a driver (runc today) implements it, and every driver passes the
 * same conformance suite.
 *
 * <p>Containers outlive the agent: a driver keeps its state on disk, so a new instance on the same
 * state finds the containers an earlier (possibly killed) agent process started, through {@link
 * #list()} and {@link #state(String)}.
 *
 * <p>Threading: implementations are thread-safe, and operations on different containers may run
 * concurrently. The caller serializes mutating operations on one container (the lifecycle layer
 * holds a per-container lock); {@link #state}, {@link #list}, {@link #readLimits} and {@link
 * #usage} may run at any time.
 *
 * <p>Failures are {@link io.ferry.agent.AgentException}s: NOT_FOUND for an unknown id,
 * FAILED_PRECONDITION for an operation the container's status does not allow, INVALID_ARGUMENT for
 * a request the kernel or runtime refuses as such, TIMEOUT when an external command exceeded its
 * deadline (it was killed), INTERNAL otherwise, with the runtime's own error text in the message.
 * Every method blocks until the operation finished or failed.
 *
 * <p>Optional features are separate interfaces ({@link Checkpointer}), announced by {@link
 * #capabilities()}.
 */
public interface ContainerRuntime {

  /** What this driver can do on this host. Cheap; does not run external commands. */
  RuntimeCapabilities capabilities();

  /**
   * Creates the container and starts its init, detached: the container keeps running when this
   * process exits.
   *
   * @return the new container's state, normally {@link RuntimeStatus#RUNNING}
   * @throws io.ferry.agent.AgentException ALREADY_EXISTS when the id is taken (nothing of the
   *     existing container is touched), INVALID_ARGUMENT when the root filesystem or network
   *     namespace does not exist or the runtime refuses the spec, INTERNAL when init cannot start
   *     (nothing is left behind), TIMEOUT
   */
  RuntimeState start(RuntimeSpec spec);

  /** The container's state, or empty when this runtime has no container with that id. */
  Optional<RuntimeState> state(String id);

  /** Every container this runtime manages, in any status, ordered by id. */
  List<RuntimeState> list();

  /**
   * Sends a signal to the container's init, or to all its processes.
   *
   * @throws io.ferry.agent.AgentException NOT_FOUND, FAILED_PRECONDITION when it is stopped
   */
  void kill(String id, Signal signal, boolean allProcesses);

  /**
   * Removes a container and everything the runtime kept for it (not its root filesystem nor its
   * console log, which belong to the caller).
   *
   * @param force kill it first when it is still alive; without force only a stopped container can
   *     be deleted
   * @throws io.ferry.agent.AgentException NOT_FOUND (leftover runtime files of that id are
   *     removed all the same), FAILED_PRECONDITION when alive and not forced
   */
  void delete(String id, boolean force);

  /**
   * Freezes every process of the container.
   *
   * @throws io.ferry.agent.AgentException NOT_FOUND, FAILED_PRECONDITION unless it is running
   */
  void pause(String id);

  /**
   * Thaws a paused container.
   *
   * @throws io.ferry.agent.AgentException NOT_FOUND, FAILED_PRECONDITION unless it is paused
   */
  void resume(String id);

  /**
   * Changes the limits of a live container. Values absent in {@code limits} stay as they are.
   * Either all given values are applied or, on failure, none: the old limits stay in force.
   *
   * @throws io.ferry.agent.AgentException NOT_FOUND, FAILED_PRECONDITION when stopped,
   *     INVALID_ARGUMENT when the kernel refuses a value (e.g. a memory limit below what the
   *     container uses now)
   */
  void updateLimits(String id, Limits limits);

  /**
   * The limits in force, read back from the kernel (not from what was asked). A memory, CPU quota
   * or pids limit that is not set reads as absent; CPU shares and period always read as a value
   * (the kernel's defaults are 1024 and 100000 µs).
   *
   * @throws io.ferry.agent.AgentException NOT_FOUND, FAILED_PRECONDITION when stopped
   */
  Limits readLimits(String id);

  /**
   * What the container uses now, read from the kernel.
   *
   * @throws io.ferry.agent.AgentException NOT_FOUND, FAILED_PRECONDITION when stopped
   */
  ResourceUsage usage(String id);

  /**
   * How many of the container's processes are alive, zombies not counted (an init that has not
   * reaped its children yet still counts them in {@link #usage}'s pids). The default counts what
   * {@link #usage} counts.
   *
   * @throws AgentException as {@link #usage}
   */
  default long liveProcesses(String id) {
    return usage(id).pids();
  }

  /**
   * Runs a command inside a running container and streams its output to {@code sink} while it
   * runs.
   *
   * @return the command's exit code (128 + n when killed by signal n)
   * @throws io.ferry.agent.AgentException NOT_FOUND, FAILED_PRECONDITION unless running,
   *     INVALID_ARGUMENT when the program cannot be found or run in the container, TIMEOUT when it
   *     outlived {@link ExecSpec#timeout()} (it was killed), INTERNAL
   */
  int exec(String id, ExecSpec spec, ExecSink sink);

  /** This runtime's checkpoint/restore capability, when it has one. */
  default Optional<Checkpointer> checkpointer() {
    return this instanceof Checkpointer c && capabilities().checkpoint() ? Optional.of(c) : Optional.empty();
  }
}
