package io.ferry.cli.commands;

import io.ferry.cli.client.OperationFollower;
import io.ferry.cli.output.JsonOutput;
import io.ferry.cli.output.OperationView;
import io.ferry.proto.v1.GetOperationRequest;
import io.ferry.proto.v1.ListOperationsRequest;
import io.ferry.proto.v1.Operation;
import java.time.Clock;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ferry operation list|show|watch|cancel}: the cluster's long-running work. */
@Command(
    name = "operation",
    description = "The cluster's long-running operations.",
    subcommands = {
      OperationCommands.ListOperations.class,
      OperationCommands.Show.class,
      OperationCommands.Watch.class,
      OperationCommands.Cancel.class
    })
public final class OperationCommands {

  @Command(name = "list", description = "List operations, newest first.")
  static final class ListOperations extends ClusterCommand {
    @Option(names = "--running", description = "only those that have not ended")
    boolean running;

    @Override
    int run() throws Exception {
      var list = client().operations(s -> s.listOperations(ListOperationsRequest.newBuilder().setRunningOnly(running).build()));
      return print(list, () -> OperationView.table(list.getOperationsList()));
    }
  }

  @Command(name = "show", description = "Show one operation.")
  static final class Show extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "the operation")
    String id;

    @Override
    int run() throws Exception {
      Operation op = client().operations(s -> s.getOperation(GetOperationRequest.newBuilder().setId(id).build()));
      return print(op, () -> OperationView.details(op));
    }
  }

  /**
   * Prints each state of the operation as it changes (a line, or a JSON object per line) until it
   * ends; exits 0 when it succeeded, 1 when it failed or was cancelled.
   */
  @Command(name = "watch", description = "Print an operation's progress until it ends; exit 0 if it succeeded, 1 if not.")
  static final class Watch extends OperationCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "the operation")
    String id;

    @Override
    int run() throws Exception {
      Operation now = client().operations(s -> s.getOperation(GetOperationRequest.newBuilder().setId(id).build()));
      show(now);
      Operation[] last = {now};
      Operation done = new OperationFollower(client(), settings().waitTimeout(), Clock.systemUTC()).follow(now, op -> {
        if (!op.equals(last[0])) {
          last[0] = op;
          show(op);
        }
      });
      return exitCode(done);
    }

    private void show(Operation op) {
      out().print(json() ? JsonOutput.line(op) : OperationView.line(op));
      out().flush();
    }
  }

  @Command(name = "cancel", description = "Ask a running operation to stop at its next step.")
  static final class Cancel extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "the operation")
    String id;

    @Override
    int run() throws Exception {
      Operation op = client().operations(s -> s.cancelOperation(GetOperationRequest.newBuilder().setId(id).build()));
      return print(op, () -> OperationView.details(op));
    }
  }
}
