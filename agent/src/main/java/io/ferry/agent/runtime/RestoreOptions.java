package io.ferry.agent.runtime;

/**
 * How to restore a checkpoint. Each option must match the one used when the checkpoint was taken.
 *
 * @param tcpEstablished restore established TCP connections (the addresses must be reachable in
 *     the container's network namespace)
 * @param fileLocks restore file locks
 * @param externalUnixSockets the checkpoint has unix sockets connected outside the container
 */
public record RestoreOptions(boolean tcpEstablished, boolean fileLocks, boolean externalUnixSockets) {

  public static final RestoreOptions DEFAULT = new RestoreOptions(false, false, false);

  /** The options that restore what {@code options} dumped. */
  public static RestoreOptions matching(CheckpointOptions options) {
    return new RestoreOptions(options.tcpEstablished(), options.fileLocks(), options.externalUnixSockets());
  }
}
