package io.ferry.agent.runtime;

/**
 * How to take a checkpoint.
 *
 * @param leaveRunning keep the container running after the dump (a snapshot); otherwise the
 *     container is gone once the checkpoint succeeded (a stateful stop or the freeze of a
 *     migration)
 * @param tcpEstablished dump established TCP connections (restore them with the same option);
 *     without it a container with established connections cannot be dumped
 * @param fileLocks dump file locks held by the container's processes
 * @param externalUnixSockets allow unix sockets connected to peers outside the container
 */
public record CheckpointOptions(
    boolean leaveRunning, boolean tcpEstablished, boolean fileLocks, boolean externalUnixSockets) {

  /** Stop after the dump; no TCP, locks or external sockets. */
  public static final CheckpointOptions STOP = new CheckpointOptions(false, false, false, false);

  /** Keep running after the dump; no TCP, locks or external sockets. */
  public static final CheckpointOptions SNAPSHOT = new CheckpointOptions(true, false, false, false);

  public CheckpointOptions withTcpEstablished(boolean tcp) {
    return new CheckpointOptions(leaveRunning, tcp, fileLocks, externalUnixSockets);
  }

  public CheckpointOptions withFileLocks(boolean locks) {
    return new CheckpointOptions(leaveRunning, tcpEstablished, locks, externalUnixSockets);
  }
}
