package io.ferry.agent.runtime;

/**
 * What a container uses right now, read from its cgroup.
 *
 * @param memoryBytes memory charged to the container, page cache and tmpfs included
 * @param memoryPeakBytes the most memory it was ever charged with
 * @param pids tasks (processes and threads) in the container
 * @param cpuNanos CPU time used by all its tasks since it started, in nanoseconds
 */
public record ResourceUsage(long memoryBytes, long memoryPeakBytes, long pids, long cpuNanos) {}
