package io.ferry.agent.runtime;

/**
 * What runs as the container's PID 1, which decides how the runtime sets the container up.
 *
 * <ul>
 *   <li>{@link #SYSTEMD}: systemd, booted the way it works under runc on cgroup v1 hosts and can be
 *       checkpointed: legacy cgroup mode, a writable cgroup namespace, tmpfs on {@code /run} and
 *       {@code /tmp}, the capabilities systemd needs, and a seccomp filter that makes systemd do
 *       without what CRIU cannot dump (BPF programs, nested UTS/IPC/PID/user/cgroup namespaces).
 *   <li>{@link #GENERIC}: any other init (busybox init, a shell, tini): the usual container defaults,
 *       a read-only cgroup mount and no seccomp filter.
 * </ul>
 */
public enum InitKind {
  SYSTEMD,
  GENERIC
}
