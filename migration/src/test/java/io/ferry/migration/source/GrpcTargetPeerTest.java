package io.ferry.migration.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.migration.protocol.MigrationSettings;
import io.ferry.proto.v1.FileChunk;
import io.ferry.proto.v1.MigrationServiceGrpc;
import io.ferry.proto.v1.ReceiveFilesResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The source's checksum choice against targets of two generations over in-process gRPC: a target
 * that says it checks CRC32C gets CRC32C from the next stream on, one that does not (an older
 * agent, which reads only SHA-256) keeps getting SHA-256.
 */
class GrpcTargetPeerTest {

  private Server server;
  private ManagedChannel channel;
  private final List<FileChunk.Header.Checksum> kinds = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (server != null) {
      server.shutdownNow();
    }
  }

  /**
   * A target whose receiver checks nothing itself but answers what a receiver of its generation
   * would: the CRC32C or SHA-256 the sender's trailer names, and whether it checks CRC32C.
   */
  private GrpcTargetPeer peerOf(boolean checksCrc32c) throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).addService(new MigrationServiceGrpc.MigrationServiceImplBase() {
      @Override
      public StreamObserver<FileChunk> receiveFiles(StreamObserver<ReceiveFilesResponse> response) {
        return new StreamObserver<>() {
          private long bytes;
          private FileChunk.Trailer trailer;

          @Override
          public void onNext(FileChunk chunk) {
            switch (chunk.getPayloadCase()) {
              case HEADER -> kinds.add(chunk.getHeader().getChecksum());
              case DATA -> bytes += chunk.getData().size();
              case TRAILER -> trailer = chunk.getTrailer();
              default -> throw new AssertionError(chunk);
            }
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {
            ReceiveFilesResponse.Builder answer = ReceiveFilesResponse.newBuilder().setBytes(bytes)
                .setSha256(trailer.getSha256());
            if (checksCrc32c) {
              answer.setCrc32C(trailer.getCrc32C()).setAcceptsCrc32C(true);
            }
            response.onNext(answer.build());
            response.onCompleted();
          }
        };
      }
    }).directExecutor().build().start();
    channel = InProcessChannelBuilder.forName(name).build();
    MigrationSettings settings = new MigrationSettings(Duration.ofSeconds(30), Duration.ofSeconds(5), 1L << 30, 0,
        Duration.ofHours(1), MigrationSettings.FaultPoint.NONE, 0);
    return new GrpcTargetPeer(channel, "m-1", "token", settings, Duration.ofSeconds(30));
  }

  private static long send(GrpcTargetPeer peer, byte[] data) {
    return peer.send(FileChunk.Header.newBuilder().setKind(FileChunk.Header.Kind.KIND_ROOTFS).build(),
        new ByteArrayInputStream(data), n -> {});
  }

  @Test
  void aTargetThatChecksCrc32cGetsItFromTheNextStreamOn() throws Exception {
    GrpcTargetPeer peer = peerOf(true);
    byte[] data = "the writable layer".getBytes();

    assertThat(send(peer, data)).isEqualTo(data.length);
    assertThat(send(peer, data)).isEqualTo(data.length);
    assertThat(send(peer, data)).isEqualTo(data.length);

    assertThat(kinds).containsExactly(FileChunk.Header.Checksum.CHECKSUM_SHA256, FileChunk.Header.Checksum.CHECKSUM_CRC32C,
        FileChunk.Header.Checksum.CHECKSUM_CRC32C);
  }

  @Test
  void anOlderTargetKeepsGettingSha256() throws Exception {
    GrpcTargetPeer peer = peerOf(false);
    byte[] data = new byte[3000];

    send(peer, data);
    send(peer, data);

    assertThat(kinds).containsExactly(FileChunk.Header.Checksum.CHECKSUM_SHA256, FileChunk.Header.Checksum.CHECKSUM_SHA256);
  }
}
