package io.ferry.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.cli.Environment;
import io.ferry.cli.FerryCli;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.CriuFeature;
import io.ferry.proto.v1.CriuInfo;
import io.ferry.proto.v1.GetHostInfoRequest;
import io.ferry.proto.v1.GetHostInfoResponse;
import io.ferry.proto.v1.HostCapacity;
import io.ferry.proto.v1.HostInfo;
import io.ferry.proto.v1.RuntimeInfo;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AgentInfoCommandTest {

  // Byte streams without autoflush, as System.out is wrapped in main: output must still arrive.
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final AtomicReference<Status> failWith = new AtomicReference<>();
  private final AtomicReference<String> dialled = new AtomicReference<>();
  private Server server;

  private int run(String... args) throws Exception {
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(
                new AgentServiceGrpc.AgentServiceImplBase() {
                  @Override
                  public void getHostInfo(GetHostInfoRequest r, StreamObserver<GetHostInfoResponse> response) {
                    if (failWith.get() != null) {
                      response.onError(failWith.get().asRuntimeException());
                      return;
                    }
                    response.onNext(GetHostInfoResponse.newBuilder().setHost(host()).build());
                    response.onCompleted();
                  }
                })
            .build()
            .start();
    return FerryCli.run(
        address -> {
          dialled.set(address);
          return InProcessChannelBuilder.forName(name).directExecutor().build();
        },
        Environment.plain(),
        out,
        err,
        args);
  }

  @AfterEach
  void tearDown() {
    server.shutdownNow();
  }

  @Test
  void printsATableForPeople() throws Exception {
    assertThat(run("agent", "info", "10.0.0.1:7701")).isZero();

    assertThat(dialled.get()).isEqualTo("10.0.0.1:7701");
    assertThat(out.toString())
        .contains("HOST    KERNEL")
        .contains("host-1")
        .contains("24.0 GiB")
        .contains("runc 1.1.5")
        .contains("4.2.1 (check passed)")
        .containsPattern("mem_dirty_track\\s+no\\s+Dirty tracking is OFF");
  }

  @Test
  void printsJsonForScripts() throws Exception {
    assertThat(run("agent", "info", "h:1", "--output", "json")).isZero();

    assertThat(out.toString()).contains("\"hostName\": \"host-1\"").contains("\"checkPassed\": true");
  }

  @Test
  void aServerErrorGoesToStderrWithExitCode1() throws Exception {
    failWith.set(Status.UNAVAILABLE.withDescription("agent is shutting down"));

    assertThat(run("agent", "info", "h:1")).isEqualTo(FerryCli.EXIT_SERVER_ERROR);
    assertThat(err.toString()).contains("UNAVAILABLE: agent is shutting down");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void badUsageExitsWith2() throws Exception {
    assertThat(run("agent", "info", "h:1", "--output", "yaml")).isEqualTo(2);
    assertThat(err.toString()).contains("--output must be table or json, not 'yaml'");
  }

  private static HostInfo host() {
    return HostInfo.newBuilder()
        .setHostName("host-1")
        .setKernelVersion("6.18.44")
        .setCapacity(HostCapacity.newBuilder().setCpuCores(2).setMemoryBytes(24L << 30).setDiskBytes(1L << 40).setDiskFreeBytes(1L << 39))
        .setRuntime(RuntimeInfo.newBuilder().setName("runc").setVersion("1.1.5"))
        .setCriu(
            CriuInfo.newBuilder()
                .setAvailable(true)
                .setVersion("4.2.1")
                .setCheckPassed(true)
                .addFeatures(CriuFeature.newBuilder().setName("mem_dirty_track").setDetail("Dirty tracking is OFF")))
        .build();
  }
}
