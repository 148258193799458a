package io.ferry.agent.runtime;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** An {@link ExecSink} that keeps everything, readable while the command still runs. */
public final class CollectingSink implements ExecSink {

  private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
  private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
  private int chunks;

  @Override
  public synchronized void accept(Stream stream, byte[] chunk) {
    (stream == Stream.STDOUT ? stdout : stderr).writeBytes(chunk);
    chunks++;
  }

  public synchronized String stdout() {
    return stdout.toString(StandardCharsets.UTF_8);
  }

  public synchronized String stderr() {
    return stderr.toString(StandardCharsets.UTF_8);
  }

  public synchronized int chunks() {
    return chunks;
  }
}
