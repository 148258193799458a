package io.ferry.migration.transfer;

import com.google.protobuf.UnsafeByteOperations;
import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationException.Kind;
import io.ferry.proto.v1.FileChunk;
import io.grpc.stub.ServerCallStreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Sends one stream of files as a server's response stream (FetchImage): header, chunks of about 1
 * MiB read from {@code in} only while the call is ready (flow control), then a trailer.
 *
 * <p>Must run on a thread of its own, not in the service method: gRPC delivers the readiness
 * callbacks on the call's serialising executor, which a blocked service method would hold.
 * Create it in the service method (it registers the readiness and cancel handlers there), then
 * {@link #send} elsewhere.
 */
public final class ServerFileStreamer {

  private final ServerCallStreamObserver<FileChunk> out;
  private volatile boolean cancelled;

  public ServerFileStreamer(ServerCallStreamObserver<FileChunk> out) {
    this.out = out;
    out.setOnReadyHandler(this::wake);
    out.setOnCancelHandler(() -> {
      cancelled = true;
      wake();
    });
  }

  private synchronized void wake() {
    notifyAll();
  }

  /**
   * Sends everything and completes the call.
   *
   * @return the bytes sent
   * @throws MigrationException when the caller cancelled, the deadline passed or {@code in} failed;
   *     the call is then failed too
   */
  public long send(FileChunk.Header header, InputStream in, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      awaitReady(deadline);
      out.onNext(FileChunk.newBuilder().setHeader(header).build());
      ChunkSplitter splitter = new ChunkSplitter(in);
      while (true) {
        awaitReady(deadline);
        Optional<Chunk> chunk = splitter.next();
        if (chunk.isEmpty()) {
          break;
        }
        out.onNext(FileChunk.newBuilder().setData(UnsafeByteOperations.unsafeWrap(chunk.get().data())).build());
      }
      StreamSummary sent = splitter.summary();
      out.onNext(FileChunk.newBuilder()
          .setTrailer(FileChunk.Trailer.newBuilder().setSize(sent.size()).setSha256(sent.checksum())).build());
      out.onCompleted();
      return sent.size();
    } catch (IOException e) {
      MigrationException failure = MigrationException.internal("cannot read what to send: " + e.getMessage(), e);
      fail(failure);
      throw failure;
    } catch (MigrationException e) {
      fail(e);
      throw e;
    }
  }

  private void fail(MigrationException e) {
    if (!cancelled) {
      try {
        out.onError(io.grpc.Status.INTERNAL.withDescription(e.getMessage()).asRuntimeException());
      } catch (RuntimeException ignored) {
        // the call is over
      }
    }
  }

  private synchronized void awaitReady(long deadline) {
    while (!out.isReady()) {
      if (cancelled) {
        throw new MigrationException(Kind.ABORTED, "the receiver cancelled the stream");
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new MigrationException(Kind.TIMEOUT, "the receiver stopped taking data");
      }
      try {
        TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new MigrationException(Kind.ABORTED, "interrupted");
      }
    }
    if (cancelled) {
      throw new MigrationException(Kind.ABORTED, "the receiver cancelled the stream");
    }
  }
}
