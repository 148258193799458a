package io.ferry.agent.it;

import io.ferry.agent.AgentServer;
import io.ferry.agent.config.AgentConfig;
import io.ferry.cli.client.ImageUpload;
import io.ferry.common.process.Command;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.ContainerRef;
import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.Image;
import io.ferry.proto.v1.ListContainersRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A real agent for integration tests: its own state directory, bridge and address range (so it
 * never touches the machine's own), served over gRPC on loopback, with helpers to import the base
 * images host setup built and to clean up every container it made.
 */
final class AgentHarness implements AutoCloseable {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(AgentHarness.class);

  static final Path IMAGE_CACHE = Path.of("/var/cache/ferry/images");

  final Path stateDir;
  final String bridge;
  final String subnet;
  private final String hostName;
  private AgentServer server;
  private ManagedChannel channel;

  AgentHarness(Path stateDir) {
    this(stateDir, ThreadLocalRandom.current().nextInt(10, 250));
  }

  private AgentHarness(Path stateDir, int n) {
    this.stateDir = stateDir;
    this.bridge = "ferryit" + n;
    this.subnet = "10.231." + n + ".0/24";
    this.hostName = "it-" + n;
  }

  /** A harness for the same host as {@code previous} (same name, bridge and addresses): a restart. */
  AgentHarness withNetworkOf(AgentHarness previous) {
    return new AgentHarness(stateDir, Integer.parseInt(previous.bridge.substring("ferryit".length())));
  }

  AgentHarness start() throws Exception {
    AgentCerts.install(stateDir.resolve("security"), hostName, "127.0.0.1", "localhost");
    AgentConfig config =
        AgentConfig.load(
            stateDir.resolve("absent.properties"),
            AgentConfig.HOST_ENV_FILE,
            Map.of(
                "host.name", hostName,
                "listen.port", "0",
                "metrics.port", "0",
                "state.dir", stateDir.toString(),
                "stop.timeout", "5s",
                "network.bridge", bridge,
                "network.subnet", subnet));
    server = new AgentServer(config).start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port(), AgentCerts.coordinator().channelCredentials()).build();
    return this;
  }

  /** Stops the agent process's server only: its containers keep running, as after a crash. */
  void stopAgent() throws InterruptedException {
    channel.shutdownNow();
    server.close();
  }

  AgentServiceGrpc.AgentServiceBlockingStub stub() {
    return AgentServiceGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.MINUTES);
  }

  AgentServer server() {
    return server;
  }

  /** Streams a base image tarball through ImportImage, as the CLI does. */
  Image importImage(String file, String alias) throws Exception {
    return ImageUpload.upload(
        AgentServiceGrpc.newStub(channel), IMAGE_CACHE.resolve(file), List.of(alias), Duration.ofMinutes(5), sent -> {});
  }

  /** Streams a rootfs directory as a tar, as {@code ferry agent image-import ADDRESS DIR} does. */
  Image uploadDirectory(Path dir, String alias) throws Exception {
    return ImageUpload.uploadDirectory(AgentServiceGrpc.newStub(channel), dir, List.of(alias), Duration.ofMinutes(5), sent -> {});
  }

  /** Force-deletes every container, then removes the test bridge. */
  @Override
  public void close() throws Exception {
    if (server != null && !channel.isShutdown()) {
      var stub = stub();
      for (var c : stub.listContainers(ListContainersRequest.getDefaultInstance()).getContainersList()) {
        try {
          stub.deleteContainer(DeleteContainerRequest.newBuilder().setName(c.getSpec().getName()).setForce(true).build());
        } catch (StatusRuntimeException e) {
          log.warn("cleanup of container {} failed: {}", c.getSpec().getName(), e.getStatus());
        }
      }
      stopAgent();
    }
    Command.of("ip", "link", "del", bridge).timeout(Duration.ofSeconds(10)).run();
    Command.of("sh", "-c", "while iptables -D FORWARD -i \"$0\" -o \"$0\" -j ACCEPT 2>/dev/null; do :; done", bridge)
        .timeout(Duration.ofSeconds(10))
        .run();
  }

  /** What an exec printed and returned. */
  record ExecResult(String stdout, String stderr, int exitCode) {}

  /** Runs {@code command} in container {@code name} and collects its streamed output. */
  ExecResult exec(String name, List<String> command) {
    java.util.Iterator<io.ferry.proto.v1.ExecOutput> out =
        stub().exec(io.ferry.proto.v1.ExecRequest.newBuilder().setName(name).addAllCommand(command).build());
    StringBuilder stdout = new StringBuilder();
    StringBuilder stderr = new StringBuilder();
    int exit = Integer.MIN_VALUE;
    while (out.hasNext()) {
      io.ferry.proto.v1.ExecOutput o = out.next();
      switch (o.getPartCase()) {
        case STDOUT -> stdout.append(o.getStdout().toStringUtf8());
        case STDERR -> stderr.append(o.getStderr().toStringUtf8());
        case EXIT_CODE -> exit = o.getExitCode();
        default -> throw new AssertionError("empty exec output");
      }
    }
    return new ExecResult(stdout.toString(), stderr.toString(), exit);
  }

  static ContainerRef ref(String name) {
    return ContainerRef.newBuilder().setName(name).build();
  }

  static List<String> sh(String script) {
    return List.of("/bin/sh", "-c", script);
  }
}
