package io.ferry.agent.lifecycle;

/**
 * Where a container is in its life on this host. See {@link ContainerLifecycle} for the diagram
 * and the allowed transitions.
 */
public enum ContainerStatus {
  /** Defined (rootfs, network, bundle can be made) and not running. */
  STOPPED,
  /** runc is starting init (or restoring a checkpoint). */
  STARTING,
  RUNNING,
  /** Init was asked to shut down (or CRIU is dumping); ends STOPPED or CHECKPOINTED. */
  STOPPING,
  /** Every process frozen by the cgroup freezer. */
  FROZEN,
  /** Stopped with its memory saved by CRIU; a stateful start resumes it. */
  CHECKPOINTED,
  /** An operation failed half-way or the agent cannot tell; the detail says why. */
  ERROR;

  /** True while the container's processes exist (running or frozen). */
  public boolean isLive() {
    return this == RUNNING || this == FROZEN;
  }
}
