package io.ferry.agent.runtime;

/**
 * The runtime's view of a container's init process. This is what the kernel and the runtime
 * report, not the lifecycle state the agent keeps: a container the agent considers "starting" may
 * already be {@link #RUNNING} here.
 *
 * <ul>
 *   <li>{@link #CREATED}: namespaces and cgroups exist, init has not been started.
 *   <li>{@link #RUNNING}: init runs (a freeze in progress still counts as running).
 *   <li>{@link #PAUSED}: every process of the container is frozen.
 *   <li>{@link #STOPPED}: init has exited; the container still exists until deleted.
 * </ul>
 */
public enum RuntimeStatus {
  CREATED,
  RUNNING,
  PAUSED,
  STOPPED
}
