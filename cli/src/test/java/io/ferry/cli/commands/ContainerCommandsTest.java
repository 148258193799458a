package io.ferry.cli.commands;

import static io.ferry.cli.testing.FakeCoordinator.container;
import static io.ferry.cli.testing.FakeCoordinator.operation;
import static io.ferry.proto.v1.ContainerState.CONTAINER_STATE_FROZEN;
import static io.ferry.proto.v1.ContainerState.CONTAINER_STATE_RUNNING;
import static io.ferry.proto.v1.ContainerState.CONTAINER_STATE_STOPPED;
import static io.ferry.proto.v1.OperationState.OPERATION_STATE_FAILED;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import io.ferry.cli.testing.CliHarness.Result;
import io.ferry.proto.v1.ClusterContainer;
import io.ferry.proto.v1.ContainerRef;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.CopyContainerRequest;
import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.GetContainerRequest;
import io.ferry.proto.v1.GetOperationRequest;
import io.ferry.proto.v1.Limits;
import io.ferry.proto.v1.ListClusterContainersRequest;
import io.ferry.proto.v1.NetworkInfo;
import io.ferry.proto.v1.StartContainerRequest;
import io.ferry.proto.v1.StopContainerRequest;
import io.grpc.Status;
import java.util.List;
import org.junit.jupiter.api.Test;

class ContainerCommandsTest extends ClusterCommandTest {

  private static ClusterContainer web() {
    ClusterContainer.Builder c = container("web-1", CONTAINER_STATE_RUNNING, "host-2").toBuilder()
        .setCpuMillis(1500)
        .setDiskBytes(2L << 30)
        .setAntiAffinityGroup("web")
        .putRequiredLabels("zone", "a")
        .setOperationId("op-9");
    c.getContainerBuilder()
        .setImageDigest("0123456789abcdef0123")
        .setInitPid(4242)
        .setLimits(Limits.newBuilder().setMemoryBytes(512L << 20).setCpuQuotaMicros(150_000).setCpuPeriodMicros(100_000).setPidsMax(300))
        .setNetwork(NetworkInfo.newBuilder().setAddress("10.77.0.5").setPrefixLength(24))
        .setCreatedAt(Timestamp.newBuilder().setSeconds(1_780_000_000));
    return c.build();
  }

  @Test
  void listSendsTheFiltersAndPrintsATable() {
    coordinator.containers = List.of(web(), container("db", CONTAINER_STATE_STOPPED, "host-1").toBuilder()
        .setDesiredState(CONTAINER_STATE_RUNNING).build());

    Result r = cli.run("list", "--host", "host-2", "--state", "Running", "--prefix", "we");

    assertThat(r.exit()).isZero();
    ListClusterContainersRequest request = coordinator.last(ListClusterContainersRequest.class);
    assertThat(request.getHost()).isEqualTo("host-2");
    assertThat(request.getState()).isEqualTo(CONTAINER_STATE_RUNNING);
    assertThat(request.getNamePrefix()).isEqualTo("we");
    assertThat(r.out()).isEqualTo(
        "NAME   STATE                 HOST    IMAGE      ADDRESS    CPU  MEMORY   OPERATION\n"
            + "web-1  RUNNING               host-2  debian/12  10.77.0.5  1.5  512 MiB  op-9\n"
            + "db     STOPPED (to RUNNING)  host-1  debian/12\n");
  }

  @Test
  void listWithoutFiltersSendsAnEmptyRequestAndJsonIsTheReply() {
    coordinator.containers = List.of(web());

    Result r = cli.run("list", "-o", "json");

    assertThat(coordinator.last(ListClusterContainersRequest.class)).isEqualTo(ListClusterContainersRequest.getDefaultInstance());
    assertThat(r.out()).startsWith("{\n  \"containers\": [").contains("\"host\": \"host-2\"").contains("\"cpuMillis\": \"1500\"");
  }

  @Test
  void anUnknownStateIsAUsageError() {
    Result r = cli.run("list", "--state", "sleeping");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--state must be one of stopped, starting, running, stopping, frozen, checkpointed, error, host-lost, not 'sleeping'");
    assertThat(coordinator.requests).isEmpty();
  }

  @Test
  void infoShowsPlacementLimitsAndNetwork() {
    coordinator.container = web();

    Result r = cli.run("info", "web-1");

    assertThat(coordinator.last(GetContainerRequest.class).getName()).isEqualTo("web-1");
    assertThat(r.out())
        .contains("name:             web-1\n")
        .contains("state:            RUNNING\n")
        .contains("host:             host-2\n")
        .contains("image:            debian/12 (0123456789ab)\n")
        .contains("address:          10.77.0.5/24\n")
        .contains("pid:              4242\n")
        .contains("cpu reserved:     1.5 cores\n")
        .contains("cpu limit:        1.5 cores\n")
        .contains("memory limit:     512 MiB\n")
        .contains("pids limit:       300\n")
        .contains("disk reserved:    2.0 GiB\n")
        .contains("required labels:  zone=a\n")
        .contains("anti-affinity:    web\n")
        .contains("operation:        op-9\n")
        .contains("created:          2026-05-28T20:26:40Z\n")
        .doesNotContain("detail:")
        .doesNotContain("ha standby:");
  }

  @Test
  void infoShowsAnHaContainersStandbyAndReplicaAge() {
    coordinator.container = web().toBuilder()
        .setHa(io.ferry.proto.v1.HaStatus.newBuilder().setStandbyHost("host-3").setReplicaAgeSeconds(12).setReplicaBytes(48L << 20).setFailovers(1))
        .build();

    Result r = cli.run("info", "web-1");

    assertThat(r.out())
        .contains("ha standby:       host-3\n")
        .contains("ha replica:       12 s old (48.0 MiB), 1 failover\n");
  }

  @Test
  void anUnknownContainerIsAServerErrorWithItsMessage() {
    coordinator.failures.put("get", Status.NOT_FOUND.withDescription("no container named web-9"));

    Result r = cli.run("info", "web-9");

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("Error: NOT_FOUND: no container named web-9\n");
  }

  @Test
  void startMapsStatefulAndFollowsTheOperation() {
    Result r = cli.run("start", "web-1", "--stateful");

    assertThat(r.exit()).isZero();
    assertThat(coordinator.last(StartContainerRequest.class))
        .isEqualTo(StartContainerRequest.newBuilder().setName("web-1").setStateful(true).build());
    assertThat(coordinator.all(GetOperationRequest.class)).hasSize(1);
    assertThat(r.out()).isEqualTo("web-1 started\n");
  }

  @Test
  void stopMapsForceTimeoutAndStateful() {
    assertThat(cli.run("stop", "web-1", "--force", "--timeout", "20", "--stateful").exit()).isZero();

    assertThat(coordinator.last(StopContainerRequest.class)).isEqualTo(
        StopContainerRequest.newBuilder().setName("web-1").setForce(true).setTimeoutSeconds(20).setStateful(true).build());
  }

  @Test
  void aStopThatFailsExitsOneWithTheOperationsError() {
    coordinator.updates = List.of(operation("op-1", OPERATION_STATE_FAILED, "checkpointing", 0).toBuilder()
        .setError("INTERNAL: criu dump failed: tcp connection in a state CRIU cannot dump").build());

    Result r = cli.run("stop", "web-1", "--stateful");

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("Error: INTERNAL: criu dump failed: tcp connection in a state CRIU cannot dump\n");
  }

  @Test
  void aZeroStopTimeoutIsAUsageError() {
    Result r = cli.run("stop", "web-1", "--timeout", "0");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--timeout must be a whole number above 0, not '0'");
  }

  @Test
  void restartMapsForceAndAsyncReturnsTheId() {
    Result r = cli.run("restart", "web-1", "--force", "--async");

    assertThat(r.exit()).isZero();
    assertThat(r.out()).isEqualTo("op-1\n");
    assertThat(coordinator.last(StopContainerRequest.class)).isEqualTo(StopContainerRequest.newBuilder().setName("web-1").setForce(true).build());
    assertThat(coordinator.all(GetOperationRequest.class)).isEmpty();
  }

  @Test
  void deleteMapsForceAndJsonShowsTheFinalOperation() {
    Result r = cli.run("delete", "web-1", "--force", "-o", "json");

    assertThat(r.exit()).isZero();
    assertThat(coordinator.last(DeleteContainerRequest.class)).isEqualTo(DeleteContainerRequest.newBuilder().setName("web-1").setForce(true).build());
    assertThat(r.out()).contains("\"id\": \"op-1\"").contains("\"state\": \"OPERATION_STATE_SUCCEEDED\"");
  }

  @Test
  void copyMapsSourceAndTargetAndChecksTheNewName() {
    assertThat(cli.run("copy", "web-1", "web-2").out()).isEqualTo("web-1 copied to web-2\n");
    assertThat(coordinator.last(CopyContainerRequest.class)).isEqualTo(CopyContainerRequest.newBuilder().setSource("web-1").setTarget("web-2").build());

    Result bad = cli.run("copy", "web-1", "web.2");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("container name 'web.2' is not a DNS label");
    assertThat(coordinator.all(CopyContainerRequest.class)).hasSize(1);
  }

  @Test
  void freezeAndUnfreezeAnswerAtOnceWithTheContainer() {
    coordinator.container = container("web-1", CONTAINER_STATE_FROZEN, "host-2");

    Result frozen = cli.run("freeze", "web-1");
    assertThat(frozen.out()).contains("web-1  FROZEN  host-2");
    assertThat(coordinator.last(ContainerRef.class).getName()).isEqualTo("web-1");

    coordinator.container = container("web-1", ContainerState.CONTAINER_STATE_RUNNING, "host-2");
    Result thawed = cli.run("unfreeze", "web-1", "-o", "json");
    assertThat(thawed.out()).contains("\"state\": \"CONTAINER_STATE_RUNNING\"");
    assertThat(coordinator.all(ContainerRef.class)).hasSize(2);
    assertThat(coordinator.all(GetOperationRequest.class)).isEmpty();
  }
}
