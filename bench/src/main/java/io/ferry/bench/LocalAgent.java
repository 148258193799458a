package io.ferry.bench;

import io.ferry.agent.AgentServer;
import io.ferry.cli.client.ImageUpload;
import io.ferry.agent.config.AgentConfig;
import io.ferry.common.process.Command;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.Image;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
    BenchCerts.install(stateDir.resolve("security"), "bench", "127.0.0.1");
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
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port(), BenchCerts.admin().channelCredentials()).build();
  }

  AgentServiceGrpc.AgentServiceBlockingStub stub() {
    return AgentServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.MINUTES);
  }

  /** Streams a base image that host setup built. */
  Image importImage(String file, String alias) throws Exception {
    return ImageUpload.upload(
        AgentServiceGrpc.newStub(channel), IMAGE_CACHE.resolve(file), List.of(alias), Duration.ofMinutes(5), sent -> {});
  }

  @Override
  public void close() throws Exception {
    channel.shutdownNow();
    server.close();
    Command.of("ip", "link", "del", BRIDGE).timeout(Duration.ofSeconds(10)).run();
    Command.of("rm", "-rf", "--one-file-system", stateDir.toString()).timeout(Duration.ofMinutes(1)).run();
  }
}
