package io.ferry.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ferry.cli.Environment;
import io.ferry.cli.FerryCli;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.CreateContainerRequest;
import io.ferry.proto.v1.ExecOutput;
import io.ferry.proto.v1.ExecRequest;
import io.ferry.proto.v1.InitKind;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AgentContainerCommandsTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final AtomicReference<CreateContainerRequest> created = new AtomicReference<>();
  private final AtomicReference<ExecRequest> executed = new AtomicReference<>();
  private Server server;

  private int run(String... args) throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor().addService(new AgentServiceGrpc.AgentServiceImplBase() {
      @Override
      public void createContainer(CreateContainerRequest request, StreamObserver<Container> response) {
        created.set(request);
        response.onNext(Container.newBuilder().setSpec(request.getSpec()).setState(ContainerState.CONTAINER_STATE_RUNNING).setInitPid(42).build());
        response.onCompleted();
      }

      @Override
      public void exec(ExecRequest request, StreamObserver<ExecOutput> response) {
        executed.set(request);
        response.onNext(ExecOutput.newBuilder().setStdout(ByteString.copyFromUtf8("out\n")).build());
        response.onNext(ExecOutput.newBuilder().setStderr(ByteString.copyFromUtf8("err\n")).build());
        response.onNext(ExecOutput.newBuilder().setExitCode(7).build());
        response.onCompleted();
      }
    }).build().start();
    return FerryCli.run(a -> InProcessChannelBuilder.forName(name).directExecutor().build(), Environment.plain(), out, err, args);
  }

  @AfterEach
  void tearDown() {
    server.shutdownNow();
  }

  @Test
  void launchSendsTheSpecWithParsedLimits() throws Exception {
    assertThat(run("agent", "launch", "h:1", "debian/12", "web", "--init", "systemd", "--memory", "512MiB", "--cpu-shares", "256")).isZero();

    ContainerSpec spec = created.get().getSpec();
    assertThat(created.get().getStart()).isTrue();
    assertThat(spec.getName()).isEqualTo("web");
    assertThat(spec.getImage()).isEqualTo("debian/12");
    assertThat(spec.getInit()).isEqualTo(InitKind.INIT_KIND_SYSTEMD);
    assertThat(spec.getLimits().getMemoryBytes()).isEqualTo(512L << 20);
    assertThat(spec.getLimits().getCpuShares()).isEqualTo(256);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("web").contains("RUNNING").contains("42");
  }

  @Test
  void aBadSizeIsAUsageErrorAndSendsNothing() throws Exception {
    assertThat(run("agent", "launch", "h:1", "busybox", "web", "--memory", "lots")).isEqualTo(2);
    assertThat(created.get()).isNull();
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--memory").contains("lots");
  }

  @Test
  void execPassesTheCommandAndExitsWithItsCode() throws Exception {
    assertThat(run("agent", "exec", "h:1", "web", "--", "sh", "-c", "exit 7")).isEqualTo(7);

    assertThat(executed.get().getCommandList()).containsExactly("sh", "-c", "exit 7");
    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("out\n");
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("err\n");
  }
}
