package io.ferry.migration.transfer;

import com.google.protobuf.UnsafeByteOperations;
import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationException.Kind;
import io.ferry.proto.v1.FileChunk;
import io.ferry.proto.v1.MigrationServiceGrpc.MigrationServiceStub;
import io.ferry.proto.v1.ReceiveFilesResponse;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.LongConsumer;
import io.grpc.stub.StreamObserver;

/**
 * Sends one stream of files to the peer's {@code ReceiveFiles}: the header, the bytes of {@code in}
 * in chunks of about 1 MiB ({@link ChunkSplitter}), then a trailer with the size and checksum the
 * receiver must have got (SHA-256, or CRC32C when the header says so: {@link StreamChecksum}). Honours gRPC flow control: a chunk is read from {@code in} only when the
 * transport is ready for it ({@code isReady}, woken by {@code setOnReadyHandler}), so a slow
 * receiver slows the reading (and tar) instead of filling this JVM's memory.
 *
 * <p>Blocking: runs on the caller's thread (a migration worker), which it parks while the
 * transport is not ready. Not reusable.
 */
public final class FileSender {

  private final Object ready = new Object();

  private FileSender() {}

  /**
   * Sends and waits for the receiver's answer.
   *
   * @param stub the peer's stub, with the deadline of the whole stream already set
   * @param onBytes told about every chunk sent (progress)
   * @param timeout the longest the whole stream may take
   * @return the receiver's answer, which matched what was sent
   * @throws MigrationException from the receiver (its status), DATA_LOSS when its digest differs,
   *     INTERNAL when {@code in} fails, TIMEOUT
   */
  public static ReceiveFilesResponse send(
      MigrationServiceStub stub, FileChunk.Header header, InputStream in, LongConsumer onBytes, Duration timeout) {
    return new FileSender().run(stub::receiveFiles, header, in, onBytes, timeout);
  }

  /**
   * As {@link #send(MigrationServiceStub, FileChunk.Header, InputStream, LongConsumer, Duration)},
   * to another client-streaming method of the same shape ({@code ReceiveReplica}).
   *
   * @param call starts the call, e.g. {@code stub::receiveReplica}
   */
  public static ReceiveFilesResponse send(
      Function<StreamObserver<ReceiveFilesResponse>, StreamObserver<FileChunk>> call, FileChunk.Header header, InputStream in,
      LongConsumer onBytes, Duration timeout) {
    return new FileSender().run(call, header, in, onBytes, timeout);
  }

  private ReceiveFilesResponse run(
      Function<StreamObserver<ReceiveFilesResponse>, StreamObserver<FileChunk>> call, FileChunk.Header header, InputStream in,
      LongConsumer onBytes, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    CompletableFuture<ReceiveFilesResponse> answer = new CompletableFuture<>();
    ClientResponseObserver<FileChunk, ReceiveFilesResponse> responses =
        new ClientResponseObserver<>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<FileChunk> requests) {
            requests.setOnReadyHandler(FileSender.this::wake);
          }

          @Override
          public void onNext(ReceiveFilesResponse value) {
            answer.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            answer.completeExceptionally(t);
            wake();
          }

          @Override
          public void onCompleted() {
            answer.completeExceptionally(new MigrationException(Kind.INTERNAL, "the receiver answered nothing"));
            wake();
          }
        };
    @SuppressWarnings("unchecked")
    ClientCallStreamObserver<FileChunk> requests = (ClientCallStreamObserver<FileChunk>) call.apply(responses);
    String what = "send " + header.getKind() + " of migration " + header.getMigrationId();
    try {
      awaitReady(requests, answer, deadline, what);
      requests.onNext(FileChunk.newBuilder().setHeader(header).build());
      ChunkSplitter splitter = new ChunkSplitter(in, header.getChecksum());
      StreamChecksum kind = StreamChecksum.of(header.getChecksum());
      while (true) {
        awaitReady(requests, answer, deadline, what);
        Optional<Chunk> chunk = splitter.next();
        if (chunk.isEmpty()) {
          break;
        }
        requests.onNext(FileChunk.newBuilder().setData(UnsafeByteOperations.unsafeWrap(chunk.get().data())).build());
        onBytes.accept(chunk.get().length());
      }
      StreamSummary sent = splitter.summary();
      requests.onNext(FileChunk.newBuilder()
          .setTrailer(kind.setIn(FileChunk.Trailer.newBuilder().setSize(sent.size()), sent.checksum()))
          .build());
      requests.onCompleted();
      ReceiveFilesResponse response = answer.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (response.getBytes() != sent.size() || !kind.valueIn(response).equalsIgnoreCase(sent.checksum())) {
        throw new MigrationException(Kind.DATA_LOSS, what + ": the receiver got " + response.getBytes() + " bytes with "
            + kind.displayName() + " " + kind.valueIn(response) + ", " + sent.size() + " bytes with " + sent.checksum() + " were sent");
      }
      return response;
    } catch (IOException e) {
      requests.cancel("the sender cannot read its data", e);
      throw MigrationException.internal(what + ": cannot read the data to send: " + e.getMessage(), e);
    } catch (ExecutionException e) {
      throw GrpcFailures.from(e.getCause(), what);
    } catch (TimeoutException e) {
      requests.cancel("deadline", null);
      throw new MigrationException(Kind.TIMEOUT, what + ": no answer within " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      requests.cancel("interrupted", e);
      throw new MigrationException(Kind.ABORTED, what + ": interrupted");
    } catch (RuntimeException e) {
      requests.cancel("the sender failed", e);
      throw e;
    }
  }

  private void wake() {
    synchronized (ready) {
      ready.notifyAll();
    }
  }

  private void awaitReady(
      ClientCallStreamObserver<FileChunk> requests, CompletableFuture<ReceiveFilesResponse> answer, long deadline, String what)
      throws InterruptedException, ExecutionException {
    synchronized (ready) {
      while (!requests.isReady()) {
        if (answer.isDone()) {
          answer.get();
          throw new MigrationException(Kind.INTERNAL, what + ": the receiver answered before the end of the stream");
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          requests.cancel("deadline", null);
          throw new MigrationException(Kind.TIMEOUT, what + ": the receiver stopped taking data");
        }
        TimeUnit.NANOSECONDS.timedWait(ready, Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)));
      }
    }
    if (answer.isDone()) {
      answer.get();
    }
  }
}
