package io.ferry.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.cli.client.ImageUpload;
import io.ferry.common.process.Command;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerRef;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.CreateContainerRequest;
import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.ExecOutput;
import io.ferry.proto.v1.ExecRequest;
import io.ferry.proto.v1.GetHostInfoRequest;
import io.ferry.proto.v1.InitKind;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged agent as a real process, killed with SIGKILL while its container runs: the
 * container keeps running, and a new agent process finds it with its pid, state and network.
 */
class AgentProcessIT {

  private static final Path AGENT_JAR = Path.of("target/ferry-agent.jar");

  @TempDir Path state;
  private Process agent;
  private ManagedChannel channel;
  private int port;
  private final String bridge = "ferrykill" + (System.nanoTime() % 90 + 10);

  @AfterEach
  void cleanUp() throws Exception {
    if (channel != null && agent != null && agent.isAlive()) {
      stub().deleteContainer(DeleteContainerRequest.newBuilder().setName("survivor").setForce(true).build());
    }
    if (agent != null) {
      agent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    if (channel != null) {
      channel.shutdownNow();
    }
    Command.of("ip", "link", "del", bridge).timeout(Duration.ofSeconds(10)).run();
  }

  @Test
  void containersOutliveAKilledAgentAndTheNextOneFindsThem() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    startAgent("first");
    ImageUpload.upload(AgentServiceGrpc.newStub(channel), AgentHarness.IMAGE_CACHE.resolve("busybox.tar.zst"),
        List.of("busybox"), Duration.ofMinutes(2), sent -> {});
    Container before = stub().createContainer(CreateContainerRequest.newBuilder()
        .setSpec(ContainerSpec.newBuilder().setName("survivor").setImage("busybox").setInit(InitKind.INIT_KIND_GENERIC)
            .addAllCommand(AgentHarness.sh("while true; do sleep 1; done")))
        .setStart(true).build());

    agent.destroyForcibly();
    assertThat(agent.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(agent.exitValue()).as("killed by SIGKILL").isEqualTo(137);
    assertThat(Files.exists(Path.of("/proc/" + before.getInitPid()))).as("the container's init survives").isTrue();

    startAgent("second");
    Container after = stub().getContainer(ContainerRef.newBuilder().setName("survivor").build());
    assertThat(after.getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
    assertThat(after.getInitPid()).isEqualTo(before.getInitPid());
    assertThat(after.getNetwork()).isEqualTo(before.getNetwork());
    StringBuilder out = new StringBuilder();
    Iterator<ExecOutput> exec = stub().exec(ExecRequest.newBuilder().setName("survivor").addAllCommand(List.of("echo", "still here")).build());
    exec.forEachRemaining(o -> out.append(o.getStdout().toStringUtf8()));
    assertThat(out.toString()).isEqualTo("still here\n");
  }

  private void startAgent(String run) throws Exception {
    if (channel != null) {
      channel.shutdownNow();
    }
    Path log = state.resolve("agent-" + run + ".log");
    AgentCerts.install(state.resolve("agent").resolve("security"), "kill-test", "127.0.0.1");
    agent = new ProcessBuilder(
            "java", "-jar", AGENT_JAR.toAbsolutePath().toString(),
            "--config", state.resolve("absent.properties").toString(),
            "host.name=kill-test", "listen.port=" + port, "metrics.port=0", "state.dir=" + state.resolve("agent"),
            "network.bridge=" + bridge, "network.subnet=10.233.7.0/24")
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port, AgentCerts.coordinator().channelCredentials()).build();
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
      if (!agent.isAlive()) {
        throw new AssertionError("agent exited: " + Files.readString(log));
      }
      return stub().getHostInfo(GetHostInfoRequest.getDefaultInstance()).hasHost();
    });
  }

  private AgentServiceGrpc.AgentServiceBlockingStub stub() {
    return AgentServiceGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.MINUTES);
  }
}
