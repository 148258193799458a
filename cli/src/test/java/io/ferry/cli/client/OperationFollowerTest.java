package io.ferry.cli.client;

import static io.ferry.cli.testing.FakeCoordinator.operation;
import static io.ferry.proto.v1.OperationState.OPERATION_STATE_FAILED;
import static io.ferry.proto.v1.OperationState.OPERATION_STATE_RUNNING;
import static io.ferry.proto.v1.OperationState.OPERATION_STATE_SUCCEEDED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.cli.testing.CliHarness;
import io.ferry.cli.testing.FakeCoordinator;
import io.ferry.proto.v1.GetOperationRequest;
import io.ferry.proto.v1.Operation;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OperationFollowerTest {

  private static final Operation STARTED = operation("op-7", OPERATION_STATE_RUNNING, "placing", 0);

  private final CliHarness cluster = new CliHarness();
  private final List<Operation> seen = new ArrayList<>();

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  private Operation follow(Operation started, Duration wait, String... addresses) throws Exception {
    try (CoordinatorClient client = new CoordinatorClient(List.of(addresses), cluster.channels(), Duration.ofSeconds(5), Duration.ZERO)) {
      return new OperationFollower(client, wait, Clock.systemUTC()).follow(started, seen::add);
    }
  }

  @Test
  void followsTheWatchToItsFinalStateAndShowsEveryUpdate() throws Exception {
    FakeCoordinator c = cluster.start("c1:7700");
    c.updates = List.of(
        operation("op-7", OPERATION_STATE_RUNNING, "creating on host-2", 40),
        operation("op-7", OPERATION_STATE_RUNNING, "starting", 80),
        operation("op-7", OPERATION_STATE_SUCCEEDED, "done", 100));

    Operation done = follow(STARTED, Duration.ofMinutes(1), "c1:7700");

    assertThat(done.getState()).isEqualTo(OPERATION_STATE_SUCCEEDED);
    assertThat(seen).extracting(Operation::getPhase).containsExactly("creating on host-2", "starting", "done");
    assertThat(c.last(GetOperationRequest.class).getId()).isEqualTo("op-7");
  }

  @Test
  void aFailedOperationIsReturnedWithItsError() throws Exception {
    FakeCoordinator c = cluster.start("c1:7700");
    c.updates = List.of(operation("op-7", OPERATION_STATE_FAILED, "creating", 0).toBuilder()
        .setError("INTERNAL: runc create failed: no space left on device").build());

    Operation done = follow(STARTED, Duration.ofMinutes(1), "c1:7700");

    assertThat(done.getState()).isEqualTo(OPERATION_STATE_FAILED);
    assertThat(done.getError()).isEqualTo("INTERNAL: runc create failed: no space left on device");
  }

  @Test
  void anOperationAlreadyOverIsNotWatched() throws Exception {
    Operation over = operation("op-7", OPERATION_STATE_SUCCEEDED, "", 100);

    assertThat(follow(over, Duration.ofMinutes(1), "unused:1")).isSameAs(over);
    assertThat(cluster.dialled).isEmpty();
  }

  @Test
  void aWatchThatEndsEarlyIsCheckedAndResumed() throws Exception {
    FakeCoordinator c = cluster.start("c1:7700");
    c.updates = List.of(operation("op-7", OPERATION_STATE_RUNNING, "copying", 50));

    // The watch keeps ending without a final state and GetOperation says it still runs.
    assertThatThrownBy(() -> follow(STARTED, Duration.ofMinutes(1), "c1:7700"))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getDescription()).contains("keeps ending the watch of operation op-7"));
    assertThat(c.requests).hasSize(2 * OperationFollower.MAX_EARLY_ENDS);
  }

  @Test
  void aCoordinatorDyingMidWatchIsReplacedByTheNext() throws Exception {
    FakeCoordinator first = cluster.start("c1:7700");
    first.failures.put("watchOperation", Status.UNAVAILABLE.withDescription("shutting down"));
    FakeCoordinator second = cluster.start("c2:7700");

    Operation done = follow(STARTED, Duration.ofMinutes(1), "c1:7700", "c2:7700");

    assertThat(done.getState()).isEqualTo(OPERATION_STATE_SUCCEEDED);
    assertThat(second.all(GetOperationRequest.class)).hasSize(1);
  }

  @Test
  void runningOutOfTimeNamesTheOperationToWatchLater() {
    assertThatThrownBy(() -> follow(STARTED, Duration.ZERO, "c1:7700"))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
          assertThat(e.getStatus().getDescription())
              .contains("operation op-7 still running (placing)")
              .contains("ferry operation watch op-7");
        });
  }
}
