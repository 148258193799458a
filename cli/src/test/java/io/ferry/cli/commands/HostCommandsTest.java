package io.ferry.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.cli.testing.CliHarness.Result;
import io.ferry.proto.v1.CriuInfo;
import io.ferry.proto.v1.GetHostRequest;
import io.ferry.proto.v1.Host;
import io.ferry.proto.v1.HostCapacity;
import io.ferry.proto.v1.HostInfo;
import io.ferry.proto.v1.HostState;
import io.ferry.proto.v1.ListHostsRequest;
import io.ferry.proto.v1.RuntimeInfo;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HostCommandsTest extends ClusterCommandTest {

  @BeforeEach
  void setUp() {
    // host-1 as the coordinator reports it (what it offers to containers); host-2 without those
    // fields, so the agent's raw capacity shows.
    coordinator.hosts = List.of(
        host("host-1", HostState.HOST_STATE_ONLINE, 1500, 2L << 30, 10L << 30, 3).toBuilder()
            .setCapacityCpuMillis(3500).setCapacityMemoryBytes(14L << 30).setCapacityDiskBytes(80L << 30).setAgentVersion("0.2.0").build(),
        host("host-2", HostState.HOST_STATE_OFFLINE, 0, 0, 0, 0));
  }

  private static Host host(String name, HostState state, long cpuMillis, long memory, long disk, int containers) {
    return Host.newBuilder()
        .setName(name)
        .setState(state)
        .setAddress("10.77.0.1" + name.charAt(5) + ":7701")
        .putLabels("zone", "a")
        .setAllocatedCpuMillis(cpuMillis)
        .setAllocatedMemoryBytes(memory)
        .setAllocatedDiskBytes(disk)
        .setContainers(containers)
        .setInfo(HostInfo.newBuilder()
            .setHostName(name)
            .setKernelVersion("6.18.44")
            .setAgentVersion("0.1.0")
            .setCapacity(HostCapacity.newBuilder().setCpuCores(4).setMemoryBytes(16L << 30).setDiskBytes(100L << 30).setDiskFreeBytes(90L << 30))
            .setRuntime(RuntimeInfo.newBuilder().setName("runc").setVersion("1.1.5"))
            .setCriu(CriuInfo.newBuilder().setAvailable(true).setVersion("4.2.1").setCheckPassed(true)))
        .build();
  }

  @Test
  void listShowsAllocationOverCapacity() {
    Result r = cli.run("host", "list", "--label", "zone=a");

    assertThat(r.exit()).isZero();
    assertThat(coordinator.last(ListHostsRequest.class).getLabelsMap()).isEqualTo(Map.of("zone", "a"));
    assertThat(r.out()).isEqualTo(
        "NAME    STATE    ADDRESS          CPU      MEMORY            DISK               CONTAINERS\n"
            + "host-1  ONLINE   10.77.0.11:7701  1.5/3.5  2.0 GiB/14.0 GiB  10.0 GiB/80.0 GiB  3\n"
            + "host-2  OFFLINE  10.77.0.12:7701  0/4      0 B/16.0 GiB      0 B/100 GiB        0\n");
  }

  @Test
  void infoFallsBackToTheAgentsCapacityAndVersion() {
    Result r = cli.run("host", "info", "host-2");

    assertThat(r.out())
        .contains("cpu allocated:     0 of 4 cores\n")
        .contains("memory allocated:  0 B of 16.0 GiB\n")
        .contains("agent version:     0.1.0\n");
  }

  @Test
  void listAsJson() {
    Result r = cli.run("host", "list", "-o", "json");

    assertThat(coordinator.last(ListHostsRequest.class).getLabelsMap()).isEmpty();
    assertThat(r.out()).contains("\"state\": \"HOST_STATE_ONLINE\"").contains("\"allocatedCpuMillis\": \"1500\"");
  }

  @Test
  void infoShowsThePlaceInTheClusterAndTheAgentsFacts() {
    Result r = cli.run("host", "info", "host-1");

    assertThat(coordinator.last(GetHostRequest.class).getName()).isEqualTo("host-1");
    assertThat(r.out())
        .contains("labels:            zone=a\n")
        .contains("cpu allocated:     1.5 of 3.5 cores\n")
        .contains("memory allocated:  2.0 GiB of 14.0 GiB\n")
        .contains("disk allocated:    10.0 GiB of 80.0 GiB\n")
        .contains("containers:        3\n")
        .contains("agent version:     0.2.0\n")
        .contains("runc 1.1.5")
        .contains("4.2.1 (check passed)");
  }

  private static io.ferry.proto.v1.Operation evacuation(io.ferry.proto.v1.OperationState state, String error) {
    return io.ferry.cli.testing.FakeCoordinator.operation("op-1", state, "2 of 2 containers done", 100).toBuilder()
        .setKind("evacuate").setTarget("host-1").setError(error)
        .setEvacuation(io.ferry.proto.v1.EvacuationReport.newBuilder()
            .addMoves(io.ferry.proto.v1.ContainerMove.newBuilder().setContainer("web-1").setFromHost("host-1").setToHost("host-2")
                .setState(io.ferry.proto.v1.ContainerMove.State.STATE_MOVED))
            .addMoves(io.ferry.proto.v1.ContainerMove.newBuilder().setContainer("db-1").setFromHost("host-1")
                .setState(io.ferry.proto.v1.ContainerMove.State.STATE_FAILED).setDetail("FAILED_PRECONDITION: no host can take db-1")))
        .build();
  }

  @Test
  void evacuateSendsTheModeAndParallelAndPrintsALinePerContainer() {
    coordinator.updates = List.of(evacuation(io.ferry.proto.v1.OperationState.OPERATION_STATE_FAILED,
        "FAILED_PRECONDITION: 1 of 2 containers did not move: db-1: no host can take db-1"));

    Result r = cli.run("host", "evacuate", "host-1", "--mode", "post-copy", "--parallel", "2");

    io.ferry.proto.v1.EvacuateHostRequest sent = coordinator.last(io.ferry.proto.v1.EvacuateHostRequest.class);
    assertThat(sent.getName()).isEqualTo("host-1");
    assertThat(sent.getMode()).isEqualTo(io.ferry.proto.v1.MigrationMode.MIGRATION_MODE_POST_COPY);
    assertThat(sent.getParallel()).isEqualTo(2);
    assertThat(sent.getStop()).isFalse();
    assertThat(r.out()).contains("web-1").contains("moved").contains("host-2").contains("db-1").contains("failed")
        .contains("no host can take db-1");
    assertThat(r.err()).contains("1 of 2 containers did not move");
    assertThat(r.exit()).isEqualTo(1);
  }

  @Test
  void evacuateWithStopStopsInPlaceAndRestoreTakesTheHostBack() {
    Result stopped = cli.run("host", "evacuate", "host-1", "--mode", "stop");
    assertThat(stopped.exit()).as(stopped.err()).isZero();
    assertThat(coordinator.last(io.ferry.proto.v1.EvacuateHostRequest.class).getStop()).isTrue();
    assertThat(stopped.out()).contains("host-1 evacuated");

    Result restored = cli.run("host", "restore", "host-1");
    assertThat(restored.exit()).as(restored.err()).isZero();
    assertThat(coordinator.last(io.ferry.proto.v1.RestoreHostRequest.class).getName()).isEqualTo("host-1");
    assertThat(restored.out()).contains("host-1 restored");
  }

  @Test
  void anUnknownEvacuationModeIsAUsageErrorAndSendsNothing() {
    Result r = cli.run("host", "evacuate", "host-1", "--mode", "sideways");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("unknown mode 'sideways'");
    assertThat(coordinator.requests).isEmpty();
  }
}
