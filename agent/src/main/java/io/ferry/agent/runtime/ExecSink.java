package io.ferry.agent.runtime;

/**
 * Receives the output of a command run with {@link ContainerRuntime#exec}, chunk by chunk, as the
 * command writes it.
 *
 * <p>Threading: called from the runtime's reader threads, never from two threads at once for one
 * exec (calls are serialized), so an implementation needs no locking of its own for a single
 * exec. Chunks of one stream arrive in order; the order between stdout and stderr chunks is the
 * order they were read, which is not necessarily the order they were written. The sink must not
 * block for long: the command stalls while its pipe is full. An exception thrown by the sink ends
 * the delivery of that stream (the rest is discarded) and is logged, not propagated.
 */
@FunctionalInterface
public interface ExecSink {

  /** Which output a chunk came from. */
  enum Stream {
    STDOUT,
    STDERR
  }

  /**
   * One chunk of output.
   *
   * @param stream where it came from
   * @param chunk the bytes; owned by the sink after the call (the runtime does not reuse it)
   */
  void accept(Stream stream, byte[] chunk);

  /** A sink that drops everything. */
  static ExecSink discard() {
    return (stream, chunk) -> {};
  }
}
