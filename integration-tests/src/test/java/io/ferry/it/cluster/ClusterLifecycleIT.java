package io.ferry.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ferry.proto.v1.ClusterContainer;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.GetContainerRequest;
import io.ferry.proto.v1.HostServiceGrpc;
import io.ferry.proto.v1.LaunchRequest;
import io.ferry.proto.v1.LaunchResponse;
import io.ferry.proto.v1.ListClusterContainersRequest;
import io.ferry.proto.v1.ListHostsRequest;
import io.ferry.proto.v1.Operation;
import io.ferry.proto.v1.OperationState;
import io.ferry.proto.v1.StopContainerRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two coordinators and three agents, every one a separate process with real ZooKeeper, Helix and
 * runc: containers launched, listed, stopped and deleted through a plain gRPC client talking to
 * either coordinator (the follower forwards writes to the leader), and bad input refused with
 * nothing reserved.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(DumpOnFailure.class)
class ClusterLifecycleIT implements DumpOnFailure.HasCluster {

  @TempDir static Path dir;
  private LocalCluster cluster;

  @Override
  public LocalCluster cluster() {
    return cluster;
  }

  @BeforeAll
  void startCluster() throws Exception {
    cluster = LocalCluster.startStandard("lifecycle", dir, 11, host -> Map.of());
  }

  @AfterAll
  void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void launchListStopDeleteThroughEitherCoordinator() {
    for (String via : cluster.coordinatorIds()) {
      ClusterClient client = new ClusterClient(cluster.coordinatorChannel(via));
      String name = "grpc-" + via;
      LaunchResponse launched = client.containers().launch(ClusterClient.busybox(name, 64, 100));
      assertThat(launched.getChosenHost()).isIn(cluster.hosts());
      Operation done = client.follow(launched.getOperation());
      assertThat(done.getState()).as(done.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);

      ClusterContainer got = client.containers().get(GetContainerRequest.newBuilder().setName(name).build());
      assertThat(got.getHost()).isEqualTo(launched.getChosenHost());
      assertThat(got.getContainer().getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
      assertThat(runningOn(name)).containsExactly(launched.getChosenHost());

      for (String reader : cluster.coordinatorIds()) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
            assertThat(new ClusterClient(cluster.coordinatorChannel(reader)).containers().list(ListClusterContainersRequest.getDefaultInstance()).getContainersList())
                .filteredOn(c -> c.getContainer().getSpec().getName().equals(name))
                .singleElement()
                .satisfies(c -> assertThat(c.getContainer().getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING)));
      }

      Operation stopped = client.follow(client.containers().stop(StopContainerRequest.newBuilder().setName(name).setForce(true).build()));
      assertThat(stopped.getState()).as(stopped.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
      assertThat(client.containers().get(GetContainerRequest.newBuilder().setName(name).build()).getContainer().getState())
          .isEqualTo(ContainerState.CONTAINER_STATE_STOPPED);
      assertThat(runningOn(name)).isEmpty();

      Operation deleted = client.follow(client.containers().delete(DeleteContainerRequest.newBuilder().setName(name).build()));
      assertThat(deleted.getState()).as(deleted.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
      assertThatThrownBy(() -> client.containers().get(GetContainerRequest.newBuilder().setName(name).build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
      assertThat(cluster.containersByHost().values()).allSatisfy(list -> assertThat(list).noneMatch(c -> c.getSpec().getName().equals(name)));
    }
  }

  @Test
  void launchListExecStopDeleteThroughTheCli() {
    Cli cli = new Cli(cluster.coordinatorAddresses(), cluster.admin());

    assertThat(cli.run("launch", "busybox", "cli-1", "--memory", "64MiB", "--cpu", "0.1", "--", "/bin/sh", "-c", "while true; do sleep 1; done"))
        .as(cli.err()).isZero();
    assertThat(cli.run("list")).isZero();
    assertThat(cli.out()).containsPattern("(?mi)^cli-1\\s+running\\s+host-\\d");
    assertThat(cli.run("info", "cli-1", "--output", "json")).isZero();
    assertThat(cli.out()).contains("\"host\": \"host-", "CONTAINER_STATE_RUNNING");
    assertThat(cli.run("exec", "cli-1", "--", "echo", "hello from cli-1")).isZero();
    assertThat(cli.out()).isEqualTo("hello from cli-1\n");
    assertThat(cli.run("launch", "busybox", "cli-1", "--memory", "64MiB")).isEqualTo(1);
    assertThat(cli.err()).contains("ALREADY_EXISTS");

    assertThat(cli.run("stop", "cli-1", "--force")).as(cli.err()).isZero();
    assertThat(cli.run("list")).isZero();
    assertThat(cli.out()).containsPattern("(?mi)^cli-1\\s+stopped");
    assertThat(cli.run("delete", "cli-1")).as(cli.err()).isZero();
    assertThat(cli.run("list", "--output", "json")).isZero();
    assertThat(cli.out()).doesNotContain("cli-1");
    assertThat(cli.run("info", "cli-1")).isEqualTo(1);
    assertThat(cli.err()).contains("NOT_FOUND");
  }

  @Test
  void badInputIsRefusedWithItsCodeAndReservesNothing() {
    ClusterClient client = new ClusterClient(cluster.coordinatorChannel("c2"));
    String before = allocations();
    LaunchResponse first = client.containers().launch(ClusterClient.busybox("dup-1", 64, 100));
    assertThat(client.follow(first.getOperation()).getState()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    String withOne = allocations();

    assertThat(code(() -> client.containers().launch(ClusterClient.busybox("dup-1", 64, 100)))).isEqualTo(Status.Code.ALREADY_EXISTS);
    LaunchRequest unknownImage = ClusterClient.busybox("nope-1", 64, 100);
    unknownImage = unknownImage.toBuilder().setSpec(unknownImage.getSpec().toBuilder().setImage("no-such-image")).build();
    LaunchRequest badImage = unknownImage;
    assertThat(code(() -> client.containers().launch(badImage))).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(code(() -> client.containers().launch(ClusterClient.busybox("nope-2", 64, 100).toBuilder().setTargetHost("host-9").build())))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(code(() -> client.containers().launch(ClusterClient.busybox("Bad_Name", 64, 100)))).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(code(() -> client.containers().launch(ClusterClient.busybox("nope-3", 1, 100)))).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(code(() -> client.containers().launch(ClusterClient.busybox("nope-4", 64, 100).toBuilder().putRequiredLabels("bad key", "x").build())))
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    StatusRuntimeException tooBig = catchStatus(() -> client.containers().launch(ClusterClient.busybox("nope-5", 1 << 30, 100)));
    assertThat(tooBig.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(tooBig.getStatus().getDescription()).contains("host-1: needs", "host-2: needs", "host-3: needs");
    assertThat(allocations()).isEqualTo(withOne);

    assertThat(client.follow(client.containers().delete(DeleteContainerRequest.newBuilder().setName("dup-1").setForce(true).build())).getState())
        .isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(allocations()).isEqualTo(before));
  }

  private String allocations() {
    return HostServiceGrpc.newBlockingStub(cluster.coordinatorChannel("c1")).withDeadlineAfter(10, TimeUnit.SECONDS).listHosts(ListHostsRequest.getDefaultInstance()).getHostsList().stream()
        .map(h -> h.getName() + ":" + h.getAllocatedCpuMillis() + "/" + h.getAllocatedMemoryBytes() + "/" + h.getAllocatedDiskBytes() + "/" + h.getContainers())
        .sorted()
        .toList()
        .toString();
  }

  private List<String> runningOn(String name) {
    return cluster.hostsRunning(name);
  }

  /** The ferry CLI run in this JVM against the cluster's coordinators. */
  static final class Cli {
    private final String coordinators;
    private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    private final java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();

    private final io.ferry.common.security.ClusterTls admin;

    Cli(String coordinators, io.ferry.common.security.ClusterTls admin) {
      this.coordinators = coordinators;
      this.admin = admin;
    }

    int run(String... args) {
      out.reset();
      err.reset();
      return io.ferry.cli.FerryCli.run(
          address -> io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forTarget(address, admin.channelCredentials()).build(),
          new io.ferry.cli.Environment(Map.of("FERRY_COORDINATOR", coordinators), false),
          out,
          err,
          args);
    }

    String out() {
      return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    String err() {
      return err.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  static Status.Code code(Runnable call) {
    return catchStatus(call).getStatus().getCode();
  }

  static StatusRuntimeException catchStatus(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("the call was not refused");
  }
}
