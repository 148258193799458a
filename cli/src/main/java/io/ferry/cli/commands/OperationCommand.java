package io.ferry.cli.commands;

import com.google.protobuf.Message;
import io.ferry.cli.FerryCli;
import io.ferry.cli.client.OperationFollower;
import io.ferry.cli.output.JsonOutput;
import io.ferry.cli.output.OperationView;
import io.ferry.cli.output.ProgressLine;
import io.ferry.proto.v1.Operation;
import io.ferry.proto.v1.OperationState;
import java.time.Clock;
import java.util.Locale;
import java.util.function.Function;
import picocli.CommandLine.Option;

/**
 * A command whose call returns an {@link Operation} (launch, start, stop, restart, delete, copy).
 * By default it follows the operation to its end, with a progress line on stderr when stderr is
 * a terminal, and exits 0 when it SUCCEEDED, 1 with {@code Error: <its error>} on stderr when it
 * FAILED or was CANCELLED. {@code --async} prints the operation's id (or, with {@code -o json},
 * the reply) and returns at once.
 */
abstract class OperationCommand extends ClusterCommand {

  @Option(names = "--async", description = "print the operation's id and return without waiting")
  boolean async;

  /**
   * Reports {@code started}: at once with {@code --async}, else once it ends.
   *
   * @param reply what JSON output shows, given the operation in its latest state (the reply of
   *     the call with the operation replaced, or the operation itself)
   * @param success the line printed for people when it succeeded
   */
  int report(Operation started, Function<Operation, Message> reply, Function<Operation, String> success) throws Exception {
    if (async) {
      out().print(json() ? JsonOutput.of(reply.apply(started)) : started.getId() + "\n");
      return 0;
    }
    Operation done = follow(started);
    if (json()) {
      out().print(JsonOutput.of(reply.apply(done)));
    } else if (done.getState() == OperationState.OPERATION_STATE_SUCCEEDED) {
      out().println(success.apply(done));
    }
    return exitCode(done);
  }

  /** {@link #report} for a call whose reply is the operation itself. */
  int reportOperation(Operation started, String success) throws Exception {
    return report(started, op -> op, op -> success);
  }

  /** Follows to the end; the progress line is erased before this returns. */
  Operation follow(Operation started) throws Exception {
    ProgressLine progress = new ProgressLine(err(), cli().environment().stderrIsTerminal());
    try {
      return new OperationFollower(client(), settings().waitTimeout(), Clock.systemUTC())
          .follow(started, op -> progress.show(OperationView.progress(op)));
    } finally {
      progress.clear();
    }
  }

  /** 0 when it succeeded; else prints why on stderr and returns 1. */
  int exitCode(Operation done) {
    if (done.getState() == OperationState.OPERATION_STATE_SUCCEEDED) {
      return 0;
    }
    String why = done.getError().isEmpty()
        ? "operation " + done.getId() + " " + OperationView.state(done).toLowerCase(Locale.ROOT)
        : done.getError();
    err().println("Error: " + why);
    return FerryCli.EXIT_SERVER_ERROR;
  }
}
