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
          public void finish(long bytes, String checksum) {}

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
  void aStreamSummedByCrc32cIsCheckedAndAnsweredByCrc32cAndTheReceiverSaysItChecksIt() throws Exception {
    byte[] data = random(2 * ChunkSplitter.DEFAULT_CHUNK_SIZE + 5);
    java.util.zip.CRC32C expected = new java.util.zip.CRC32C();
    expected.update(data);
    var stub = start(Long.MAX_VALUE, d -> d);

    ReceiveFilesResponse sha = FileSender.send(stub, header(), new ByteArrayInputStream(data), n -> {}, Duration.ofSeconds(30));
    ReceiveFilesResponse crc = FileSender.send(stub,
        header().toBuilder().setChecksum(FileChunk.Header.Checksum.CHECKSUM_CRC32C).build(), new ByteArrayInputStream(data),
        n -> {}, Duration.ofSeconds(30));

    assertThat(sha.getSha256()).hasSize(64);
    assertThat(sha.getCrc32C()).isEmpty();
    assertThat(sha.getAcceptsCrc32C()).isTrue();
    assertThat(crc.getCrc32C()).isEqualTo(String.format("%08x", expected.getValue()));
    assertThat(crc.getSha256()).isEmpty();
    assertThat(crc.getBytes()).isEqualTo(data.length);
  }

  /** A receiver that must refuse what it gets: its error message lands in {@link #aborted}. */
  private FileReceiver damageRefusingReceiver() {
    return new FileReceiver(new StreamObserver<>() {
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
      public void finish(long bytes, String checksum) {
        throw new AssertionError("kept damaged data");
      }

      @Override
      public void abort(Throwable cause) {}
    }, Long.MAX_VALUE, e -> Status.DATA_LOSS.withDescription(e.getMessage()).asRuntimeException());
  }

  @Test
  void bytesDamagedOnTheWayAreDetectedByCrc32cToo() {
    byte[] data = random(ChunkSplitter.DEFAULT_CHUNK_SIZE + 3);
    FileReceiver receiver = damageRefusingReceiver();
    java.util.zip.CRC32C sent = new java.util.zip.CRC32C();
    sent.update(data);
    data[7] ^= 1;
    receiver.onNext(FileChunk.newBuilder()
        .setHeader(header().toBuilder().setChecksum(FileChunk.Header.Checksum.CHECKSUM_CRC32C)).build());
    receiver.onNext(FileChunk.newBuilder().setData(ByteString.copyFrom(data)).build());
    receiver.onNext(FileChunk.newBuilder().setTrailer(FileChunk.Trailer.newBuilder().setSize(data.length)
        .setCrc32C(String.format("%08x", sent.getValue()))).build());
    receiver.onCompleted();
    assertThat(aborted.get()).contains("DATA_LOSS").contains("CRC32C").contains("differs");
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
    FileReceiver receiver = damageRefusingReceiver();
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
