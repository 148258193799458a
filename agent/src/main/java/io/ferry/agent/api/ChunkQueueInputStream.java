package io.ferry.agent.api;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The bytes of a client-streaming upload as an {@link InputStream}, for code that reads archives
 * from streams. The gRPC side {@link #offer}s chunks (never blocking: flow control keeps at most
 * a few in flight) and the reader thread consumes them; {@code onChunkTaken} asks the client for
 * the next one, so memory stays bounded however large the upload.
 *
 * <p>{@link #fail} makes the reader's next read throw, so an abandoned upload aborts the import
 * and its cleanup runs.
 */
final class ChunkQueueInputStream extends InputStream {

  private static final byte[] END = new byte[0];

  private final LinkedBlockingQueue<byte[]> chunks = new LinkedBlockingQueue<>();
  private final Runnable onChunkTaken;
  private volatile IOException failure;
  private byte[] current = new byte[0];
  private int position;
  private boolean ended;

  ChunkQueueInputStream(Runnable onChunkTaken) {
    this.onChunkTaken = onChunkTaken;
  }

  void offer(byte[] chunk) {
    chunks.add(chunk);
  }

  void finish() {
    chunks.add(END);
  }

  void fail(IOException cause) {
    failure = cause;
    chunks.add(END);
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    if (length == 0) {
      return 0;
    }
    while (position == current.length) {
      if (ended) {
        return -1;
      }
      byte[] next;
      try {
        next = chunks.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("upload interrupted", e);
      }
      if (failure != null) {
        throw failure;
      }
      if (next == END) {
        ended = true;
        return -1;
      }
      current = next;
      position = 0;
      onChunkTaken.run();
    }
    int n = Math.min(length, current.length - position);
    System.arraycopy(current, position, buffer, offset, n);
    position += n;
    return n;
  }
}
