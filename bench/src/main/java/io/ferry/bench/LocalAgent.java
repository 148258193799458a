package io.ferry.bench;

import com.google.protobuf.ByteString;
import io.ferry.agent.AgentServer;
import io.ferry.agent.config.AgentConfig;
import io.ferry.common.process.Command;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.Image;
import io.ferry.proto.v1.ImportImageRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A real agent for benchmarks, in this JVM, served over gRPC on loopback: its own state directory
 * under /tmp, bridge {@code ferrybench0} and range 10.232.0.0/24, so it never touches a running
 * Ferry. Closing it removes its bridge; the caller deletes its containers first.
 */
final class LocalAgent implements AutoCloseable {

  static final Path IMAGE_CACHE = Path.of("/var/cache/ferry/images");
  static final String BRIDGE = "ferrybench0";

  final Path stateDir;
  private final AgentServer server;
  private final ManagedChannel channel;

  LocalAgent() throws Exception {
    stateDir = Files.createTempDirectory("ferry-bench-");
    AgentConfig config =
        AgentConfig.load(
            stateDir.resolve("absent.properties"),
            AgentConfig.HOST_ENV_FILE,
            Map.of(
                "host.name", "bench",
                "listen.port", "0",
                "metrics.port", "0",
                "state.dir", stateDir.toString(),
                "network.bridge", BRIDGE,
                "network.subnet", "10.232.0.0/24"));
    server = new AgentServer(config).start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  AgentServiceGrpc.AgentServiceBlockingStub stub() {
    return AgentServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.MINUTES);
  }

  /** Streams a base image that host setup built, in 1 MiB chunks. */
  Image importImage(String file, String alias) throws Exception {
    CompletableFuture<Image> done = new CompletableFuture<>();
    StreamObserver<ImportImageRequest> upload =
        AgentServiceGrpc.newStub(channel).importImage(new StreamObserver<>() {
          @Override
          public void onNext(Image image) {
            done.complete(image);
          }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    upload.onNext(ImportImageRequest.newBuilder()
        .setHeader(ImportImageRequest.Header.newBuilder().addAliases(alias).setSource(file)).build());
    try (InputStream in = Files.newInputStream(IMAGE_CACHE.resolve(file))) {
      byte[] buffer = new byte[1 << 20];
      long offset = 0;
      for (int n = in.readNBytes(buffer, 0, buffer.length); n > 0; n = in.readNBytes(buffer, 0, buffer.length)) {
        upload.onNext(ImportImageRequest.newBuilder()
            .setChunk(ImportImageRequest.Chunk.newBuilder().setOffset(offset).setData(ByteString.copyFrom(buffer, 0, n)))
            .build());
        offset += n;
      }
    }
    upload.onCompleted();
    return done.get(5, TimeUnit.MINUTES);
  }

  @Override
  public void close() throws Exception {
    channel.shutdownNow();
    server.close();
    Command.of("ip", "link", "del", BRIDGE).timeout(Duration.ofSeconds(10)).run();
    Command.of("rm", "-rf", "--one-file-system", stateDir.toString()).timeout(Duration.ofMinutes(1)).run();
  }
}
