package io.ferry.cli.client;

import io.ferry.proto.v1.ExecOutput;
import io.grpc.Status;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Iterator;

/**
 * Copies an {@code Exec} stream (the agent's or the cluster's, same messages) to this process:
 * stdout and stderr as raw bytes, flushed as they come, so binary output and partial lines pass
 * through untouched.
 */
public final class ExecStreams {

  private ExecStreams() {}

  /**
   * @return the command's exit code (sent last)
   * @throws io.grpc.StatusRuntimeException the server's error, or UNKNOWN when the stream ended
   *     without an exit code
   */
  public static int copy(Iterator<ExecOutput> output, OutputStream out, OutputStream err) throws IOException {
    while (output.hasNext()) {
      ExecOutput o = output.next();
      switch (o.getPartCase()) {
        case STDOUT -> write(out, o.getStdout().toByteArray());
        case STDERR -> write(err, o.getStderr().toByteArray());
        case EXIT_CODE -> {
          return o.getExitCode();
        }
        default -> { }
      }
    }
    throw Status.UNKNOWN.withDescription("the exec stream ended without the command's exit code").asRuntimeException();
  }

  private static void write(OutputStream to, byte[] bytes) throws IOException {
    to.write(bytes);
    to.flush();
  }
}
