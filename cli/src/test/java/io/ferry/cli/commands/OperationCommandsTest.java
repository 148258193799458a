package io.ferry.cli.commands;

import static io.ferry.cli.testing.FakeCoordinator.operation;
import static io.ferry.proto.v1.OperationState.OPERATION_STATE_FAILED;
import static io.ferry.proto.v1.OperationState.OPERATION_STATE_RUNNING;
import static io.ferry.proto.v1.OperationState.OPERATION_STATE_SUCCEEDED;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import io.ferry.cli.testing.CliHarness.Result;
import io.ferry.proto.v1.GetOperationRequest;
import io.ferry.proto.v1.ListOperationsRequest;
import io.ferry.proto.v1.Operation;
import java.util.List;
import org.junit.jupiter.api.Test;

class OperationCommandsTest extends ClusterCommandTest {

  private static Operation at(Operation o, long seconds) {
    return o.toBuilder().setCreatedAt(Timestamp.newBuilder().setSeconds(seconds)).setUpdatedAt(Timestamp.newBuilder().setSeconds(seconds)).build();
  }

  @Test
  void listMapsRunningAndPrintsATable() {
    coordinator.operations = List.of(
        at(operation("op-2", OPERATION_STATE_RUNNING, "creating on host-1", 40), 1_780_000_060),
        at(operation("op-1", OPERATION_STATE_FAILED, "", 0).toBuilder().setKind("stop").setError("INTERNAL: boom").build(), 1_780_000_000));

    Result r = cli.run("operation", "list", "--running");

    assertThat(coordinator.last(ListOperationsRequest.class).getRunningOnly()).isTrue();
    assertThat(r.out()).isEqualTo(
        "ID    KIND    TARGET  STATE    PHASE               PROGRESS  CREATED               ERROR\n"
            + "op-2  launch  web-1   RUNNING  creating on host-1  40%       2026-05-28T20:27:40Z\n"
            + "op-1  stop    web-1   FAILED                                 2026-05-28T20:26:40Z  INTERNAL: boom\n");
  }

  @Test
  void showPrintsOneOperation() {
    coordinator.updates = List.of(operation("op-3", OPERATION_STATE_SUCCEEDED, "done", 100));

    Result r = cli.run("operation", "show", "op-3");

    assertThat(coordinator.last(GetOperationRequest.class).getId()).isEqualTo("op-3");
    assertThat(r.out()).contains("id:           op-3\n").contains("description:  launch web-1\n").contains("state:        SUCCEEDED\n");
  }

  @Test
  void watchPrintsEachChangeAndExitsZeroWhenItSucceeds() {
    coordinator.current = operation("op-1", OPERATION_STATE_RUNNING, "placing", 0);
    coordinator.updates = List.of(
        operation("op-1", OPERATION_STATE_RUNNING, "placing", 0),
        operation("op-1", OPERATION_STATE_RUNNING, "copying", 50),
        operation("op-1", OPERATION_STATE_SUCCEEDED, "done", 100));

    Result r = cli.run("operation", "watch", "op-1");

    assertThat(r.exit()).isZero();
    assertThat(coordinator.all(GetOperationRequest.class)).extracting(GetOperationRequest::getId).containsExactly("op-1", "op-1");
    // The state GetOperation gave is not repeated when the watch starts with it.
    assertThat(r.out()).isEqualTo("RUNNING  placing\nRUNNING  copying  50%\nSUCCEEDED  done  100%\n");
  }

  @Test
  void watchOfAnOperationAlreadyOverPrintsItOnce() {
    coordinator.updates = List.of(operation("op-1", OPERATION_STATE_SUCCEEDED, "done", 100));

    Result r = cli.run("operation", "watch", "op-1");

    assertThat(r.exit()).isZero();
    assertThat(r.out()).isEqualTo("SUCCEEDED  done  100%\n");
    assertThat(coordinator.all(GetOperationRequest.class)).hasSize(1);
  }

  @Test
  void watchAsJsonLinesExitsOneWhenItFails() {
    coordinator.current = operation("op-1", OPERATION_STATE_RUNNING, "placing", 0);
    coordinator.updates = List.of(
        operation("op-1", OPERATION_STATE_RUNNING, "copying", 50),
        operation("op-1", OPERATION_STATE_FAILED, "copying", 50).toBuilder().setError("ABORTED: host-2 went offline").build());

    Result r = cli.run("operation", "watch", "op-1", "-o", "json");

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("Error: ABORTED: host-2 went offline\n");
    assertThat(r.out().lines().toList()).hasSize(3).allMatch(l -> l.startsWith("{") && l.endsWith("}"));
    assertThat(r.out().lines().toList().get(2)).contains("\"error\":\"ABORTED: host-2 went offline\"");
  }

  @Test
  void cancelSendsTheId() {
    Result r = cli.run("operation", "cancel", "op-5");

    assertThat(coordinator.last(GetOperationRequest.class).getId()).isEqualTo("op-5");
    assertThat(r.out()).contains("state:        CANCELLED\n");
  }
}
