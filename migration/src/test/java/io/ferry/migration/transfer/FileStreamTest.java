package io.ferry.migration.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ferry.migration.protocol.MigrationException;
import io.ferry.proto.v1.FileChunk;
import io.ferry.proto.v1.MigrationServiceGrpc;
import io.ferry.proto.v1.ReceiveFilesResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** FileSender against FileReceiver over in-process gRPC: flow control, digests, limits. */
class FileStreamTest {

  private Server server;
  private ManagedChannel channel;
  private final ByteArrayOutputStream received = new ByteArrayOutputStream();
  private final AtomicReference<String> aborted = new AtomicReference<>();

  private MigrationServiceGrpc.MigrationServiceStub start(long maxBytes, Function<ByteString, ByteString> tamper) throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).addService(new MigrationServiceGrpc.MigrationServiceImplBase() {
      @Override
      public StreamObserver<FileChunk> receiveFiles(StreamObserver<ReceiveFilesResponse> response) {
        return new FileReceiver(response, header -> new FileReceiver.Sink() {
          @Override
          public void write(ByteString data) {
            received.writeBytes(tamper.apply(data).toByteArray());
          }

          @Override
          public void finish(long bytes, String sha256) {}

          @Override
          public void abort(Throwable cause) {
            aborted.set(cause.getMessage());
          }
        }, maxBytes, e -> (e instanceof MigrationException m && m.kind() == MigrationException.Kind.RESOURCE_EXHAUSTED
            ? Status.RESOURCE_EXHAUSTED : Status.INTERNAL).withDescription(e.getMessage()).asRuntimeException());
      }
    }).directExecutor().build().start();
    channel = InProcessChannelBuilder.forName(name).build();
    return MigrationServiceGrpc.newStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (server != null) {
      server.shutdownNow();
    }
  }

  private static byte[] random(int size) {
    byte[] data = new byte[size];
    new Random(7).nextBytes(data);
    return data;
  }

  private static FileChunk.Header header() {
    return FileChunk.Header.newBuilder().setMigrationId("m").setKind(FileChunk.Header.Kind.KIND_ROOTFS).build();
  }

  @Test
  void everyByteArrivesAndBothSidesAgreeOnTheDigest() throws Exception {
    byte[] data = random(5 * ChunkSplitter.DEFAULT_CHUNK_SIZE + 17);
    AtomicLong progress = new AtomicLong();
    long bytes = FileSender.send(start(Long.MAX_VALUE, d -> d), header(), new ByteArrayInputStream(data), progress::addAndGet,
        Duration.ofSeconds(30)).getBytes();
    assertThat(bytes).isEqualTo(data.length);
    assertThat(progress.get()).isEqualTo(data.length);
    assertThat(received.toByteArray()).isEqualTo(data);
  }

  @Test
  void aStreamOverTheLimitIsRefusedAndTheSinkAborted() throws Exception {
    byte[] data = random(3 * ChunkSplitter.DEFAULT_CHUNK_SIZE);
    var stub = start(ChunkSplitter.DEFAULT_CHUNK_SIZE, d -> d);
    assertThatThrownBy(() -> FileSender.send(stub, header(), new ByteArrayInputStream(data), n -> {}, Duration.ofSeconds(30)))
        .isInstanceOfSatisfying(MigrationException.class,
            e -> assertThat(e.kind()).isEqualTo(MigrationException.Kind.RESOURCE_EXHAUSTED));
    assertThat(aborted.get()).contains("limit");
  }

  @Test
  void bytesDamagedOnTheWayAreDetected() {
    byte[] data = random(1000);
    FileReceiver receiver = new FileReceiver(new StreamObserver<>() {
      @Override
      public void onNext(ReceiveFilesResponse value) {
        throw new AssertionError("accepted damaged data");
      }

      @Override
      public void onError(Throwable t) {
        aborted.set(t.getMessage());
      }

      @Override
      public void onCompleted() {}
    }, h -> new FileReceiver.Sink() {
      @Override
      public void write(ByteString d) {}

      @Override
      public void finish(long bytes, String sha256) {
        throw new AssertionError("kept damaged data");
      }

      @Override
      public void abort(Throwable cause) {}
    }, Long.MAX_VALUE, e -> Status.DATA_LOSS.withDescription(e.getMessage()).asRuntimeException());
    receiver.onNext(FileChunk.newBuilder().setHeader(header()).build());
    receiver.onNext(FileChunk.newBuilder().setData(ByteString.copyFrom(data)).build());
    receiver.onNext(FileChunk.newBuilder().setTrailer(FileChunk.Trailer.newBuilder().setSize(1000)
        .setSha256("00".repeat(32))).build());
    receiver.onCompleted();
    assertThat(aborted.get()).contains("DATA_LOSS").contains("differs");
  }

  @Test
  void dataBeforeTheHeaderIsRefused() {
    AtomicReference<Throwable> error = new AtomicReference<>();
    FileReceiver receiver = new FileReceiver(new StreamObserver<>() {
      @Override
      public void onNext(ReceiveFilesResponse value) {}

      @Override
      public void onError(Throwable t) {
        error.set(t);
      }

      @Override
      public void onCompleted() {}
    }, h -> {
      throw new AssertionError("no sink without a header");
    }, Long.MAX_VALUE, e -> Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
    receiver.onNext(FileChunk.newBuilder().setData(ByteString.copyFromUtf8("x")).build());
    assertThat(error.get()).hasMessageContaining("data before the header");
  }
}
