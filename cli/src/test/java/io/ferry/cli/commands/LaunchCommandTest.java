package io.ferry.cli.commands;

import static io.ferry.cli.testing.FakeCoordinator.operation;
import static io.ferry.proto.v1.OperationState.OPERATION_STATE_FAILED;
import static io.ferry.proto.v1.OperationState.OPERATION_STATE_RUNNING;
import static io.ferry.proto.v1.OperationState.OPERATION_STATE_SUCCEEDED;
import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.cli.Environment;
import io.ferry.cli.testing.CliHarness;
import io.ferry.cli.testing.CliHarness.Result;
import io.ferry.proto.v1.GetOperationRequest;
import io.ferry.proto.v1.HostVerdict;
import io.ferry.proto.v1.InitKind;
import io.ferry.proto.v1.LaunchRequest;
import io.ferry.proto.v1.LaunchResponse;
import io.ferry.proto.v1.PlacementStrategy;
import io.grpc.Status;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LaunchCommandTest extends ClusterCommandTest {

  @Test
  void mapsEveryOptionIntoTheRequest() {
    Result r = cli.run("launch", "debian/12", "web-1", "--cpu", "0.5", "--memory", "512MiB", "--disk", "2GiB",
        "--label", "zone=a", "--label", "ssd=true", "--anti-affinity", "web", "--target", "host-2",
        "--strategy", "binpack", "--init", "systemd", "--ha", "--", "/sbin/init", "--log-level=info");

    assertThat(r.exit()).as(r.toString()).isZero();
    LaunchRequest request = coordinator.last(LaunchRequest.class);
    assertThat(request.getSpec().getName()).isEqualTo("web-1");
    assertThat(request.getSpec().getImage()).isEqualTo("debian/12");
    assertThat(request.getSpec().getInit()).isEqualTo(InitKind.INIT_KIND_SYSTEMD);
    assertThat(request.getSpec().getCommandList()).containsExactly("/sbin/init", "--log-level=info");
    assertThat(request.getCpuMillis()).isEqualTo(500);
    assertThat(request.getSpec().getLimits().getCpuQuotaMicros()).isEqualTo(50_000);
    assertThat(request.getSpec().getLimits().getCpuPeriodMicros()).isEqualTo(100_000);
    assertThat(request.getSpec().getLimits().getMemoryBytes()).isEqualTo(512L << 20);
    assertThat(request.getDiskBytes()).isEqualTo(2L << 30);
    assertThat(request.getRequiredLabelsMap()).isEqualTo(Map.of("zone", "a", "ssd", "true"));
    assertThat(request.getAntiAffinityGroup()).isEqualTo("web");
    assertThat(request.getTargetHost()).isEqualTo("host-2");
    assertThat(request.getStrategy()).isEqualTo(PlacementStrategy.PLACEMENT_STRATEGY_BINPACK);
    assertThat(request.getDryRun()).isFalse();
    assertThat(request.getSpec().getHa()).isTrue();
  }

  @Test
  void unsetOptionsLeaveTheDefaults() {
    assertThat(cli.run("launch", "busybox", "box").exit()).isZero();

    LaunchRequest request = coordinator.last(LaunchRequest.class);
    assertThat(request.getCpuMillis()).isZero();
    assertThat(request.getSpec().getLimits().hasMemoryBytes()).isFalse();
    assertThat(request.getSpec().getLimits().hasCpuQuotaMicros()).isFalse();
    assertThat(request.getSpec().getInit()).isEqualTo(InitKind.INIT_KIND_GENERIC);
    assertThat(request.getStrategy()).isEqualTo(PlacementStrategy.PLACEMENT_STRATEGY_UNSPECIFIED);
    assertThat(request.getRequiredLabelsMap()).isEmpty();
    assertThat(request.getSpec().getHa()).isFalse();
  }

  @Test
  void followsTheOperationAndSaysWhereItLanded() {
    coordinator.launchResponse = LaunchResponse.newBuilder()
        .setOperation(operation("op-42", OPERATION_STATE_RUNNING, "placing", 0)).setChosenHost("host-3").build();
    coordinator.updates = List.of(
        operation("op-42", OPERATION_STATE_RUNNING, "creating on host-3", 30),
        operation("op-42", OPERATION_STATE_SUCCEEDED, "done", 100));

    Result r = cli.run("launch", "debian/12", "web-1");

    assertThat(r.exit()).isZero();
    assertThat(coordinator.last(GetOperationRequest.class).getId()).isEqualTo("op-42");
    assertThat(r.out()).isEqualTo("web-1 launched on host-3\n");
    assertThat(r.err()).as("no progress noise when stderr is not a terminal").isEmpty();
  }

  @Test
  void aFailedOperationExitsOneWithItsError() {
    coordinator.updates = List.of(operation("op-1", OPERATION_STATE_FAILED, "creating", 0).toBuilder()
        .setError("FAILED_PRECONDITION: image debian/12 is not on host-1").build());

    Result r = cli.run("launch", "debian/12", "web-1");

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("Error: FAILED_PRECONDITION: image debian/12 is not on host-1\n");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void aCancelledOperationWithoutAnErrorSaysSo() {
    coordinator.updates = List.of(operation("op-1", io.ferry.proto.v1.OperationState.OPERATION_STATE_CANCELLED, "", 0));

    Result r = cli.run("launch", "debian/12", "web-1");

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("Error: operation op-1 cancelled\n");
  }

  @Test
  void asyncPrintsTheOperationIdAndDoesNotWait() {
    Result r = cli.run("launch", "debian/12", "web-1", "--async");

    assertThat(r.exit()).isZero();
    assertThat(r.out()).isEqualTo("op-1\n");
    assertThat(coordinator.all(GetOperationRequest.class)).isEmpty();
  }

  @Test
  void jsonShowsTheReplyWithTheFinalOperation() {
    Result r = cli.run("launch", "debian/12", "web-1", "-o", "json");

    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("\"chosenHost\": \"host-1\"").contains("\"state\": \"OPERATION_STATE_SUCCEEDED\"");
  }

  @Test
  void aTerminalSeesAProgressLineThatIsErasedAtTheEnd() {
    cli.environment = new Environment(Map.of("FERRY_COORDINATOR", CliHarness.ADDRESS), true);
    coordinator.updates = List.of(
        operation("op-1", OPERATION_STATE_RUNNING, "creating on host-1", 50),
        operation("op-1", OPERATION_STATE_SUCCEEDED, "done", 100));

    Result r = cli.run("launch", "debian/12", "web-1");

    assertThat(r.err()).contains("\rlaunch web-1 [##########..........]  50% creating on host-1");
    assertThat(r.err()).endsWith("\r");
    assertThat(r.out()).isEqualTo("web-1 launched on host-1\n");
  }

  @Test
  void dryRunPrintsEachHostsVerdictAndTheChosenHost() {
    coordinator.launchResponse = LaunchResponse.newBuilder()
        .setChosenHost("host-2")
        .addVerdicts(HostVerdict.newBuilder().setHost("host-1").setFits(false).setReason("memory: needs 4.0 GiB, 1.0 GiB free"))
        .addVerdicts(HostVerdict.newBuilder().setHost("host-2").setFits(true).setScore(0.75).setReason("fits"))
        .build();

    Result r = cli.run("launch", "debian/12", "web-1", "--memory", "4GiB", "--dry-run");

    assertThat(r.exit()).isZero();
    assertThat(coordinator.last(LaunchRequest.class).getDryRun()).isTrue();
    assertThat(r.out()).isEqualTo(
        "HOST    FITS  SCORE  REASON\n"
            + "host-1  no           memory: needs 4.0 GiB, 1.0 GiB free\n"
            + "host-2  yes   0.750  fits\n"
            + "chosen host: host-2\n");
    assertThat(coordinator.all(GetOperationRequest.class)).isEmpty();
  }

  @Test
  void aDryRunWhereNothingFitsExitsOne() {
    coordinator.launchResponse = LaunchResponse.newBuilder()
        .addVerdicts(HostVerdict.newBuilder().setHost("host-1").setReason("label zone=b missing"))
        .build();

    Result r = cli.run("launch", "debian/12", "web-1", "--dry-run", "--label", "zone=b");

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).contains("label zone=b missing").contains("no host fits");
    assertThat(r.err()).contains("Error: no host fits web-1");
  }

  @Test
  void aRefusalForWantOfRoomPrintsTheServersReasons() {
    coordinator.failures.put("launch", Status.RESOURCE_EXHAUSTED.withDescription(
        "no host fits web-1:\n  host-1: memory: needs 64.0 GiB, 3.0 GiB free\n  host-2: offline"));

    Result r = cli.run("launch", "debian/12", "web-1", "--memory", "64GiB");

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).isEqualTo(
        "Error: RESOURCE_EXHAUSTED: no host fits web-1:\n  host-1: memory: needs 64.0 GiB, 3.0 GiB free\n  host-2: offline\n");
  }

  @Test
  void badValuesAreUsageErrorsAndNothingIsSent() {
    assertUsageError(cli.run("launch", "debian/12", "web-1", "--cpu", "500m"), "--cpu is a number of cores, e.g. 0.5 or 2, not '500m'");
    assertUsageError(cli.run("launch", "debian/12", "web-1", "--cpu", "0.0005"), "finer than a millicore");
    assertUsageError(cli.run("launch", "debian/12", "web-1", "--cpu", "0"), "--cpu must be more than 0 cores");
    assertUsageError(cli.run("launch", "debian/12", "web-1", "--memory", "lots"), "--memory: not a size: 'lots'");
    assertUsageError(cli.run("launch", "debian/12", "web-1", "--strategy", "random"), "--strategy must be one of spread, binpack, not 'random'");
    assertUsageError(cli.run("launch", "debian/12", "web-1", "--init", "openrc"), "--init must be one of systemd, generic, not 'openrc'");
    assertUsageError(cli.run("launch", "debian/12", "Web_1"), "container name 'Web_1' is not a DNS label");
    assertUsageError(cli.run("launch", "debian/12", "web-1", "--label", "zone"), "--label");
    assertUsageError(cli.run("launch", "debian/12"), "Missing required parameter: 'NAME'");
    assertThat(coordinator.requests).isEmpty();
    assertThat(cli.dialled).isEmpty();
  }

  private static void assertUsageError(Result r, String message) {
    assertThat(r.exit()).as(r.toString()).isEqualTo(2);
    assertThat(r.err()).contains(message);
  }
}
