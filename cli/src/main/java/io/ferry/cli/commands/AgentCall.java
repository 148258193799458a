package io.ferry.cli.commands;

import com.google.protobuf.MessageOrBuilder;
import io.ferry.cli.FerryCli;
import io.ferry.cli.output.JsonOutput;
import io.ferry.cli.output.OutputFormat;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.grpc.ManagedChannel;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * What every {@code ferry agent ...} command shares: the agent's address (first parameter), the
 * output format (its own {@code --output}, else the one given before the verb), a deadline, and a
 * channel opened for the one call and closed after it.
 */
abstract class AgentCall implements Callable<Integer> {

  @ParentCommand AgentCommand parent;

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ADDRESS", description = "the agent's host:port")
  String address;

  @Option(names = {"-o", "--output"}, paramLabel = "table|json", description = "table (default) or json")
  String output;

  @Option(names = "--timeout-seconds", defaultValue = "120", description = "deadline of the call")
  long timeoutSeconds;

  /** Runs the call with a stub; returns the exit code. */
  abstract int call(AgentServiceGrpc.AgentServiceBlockingStub agent, ManagedChannel channel, OutputFormat format)
      throws Exception;

  @Override
  public final Integer call() throws Exception {
    FerryCli cli = parent.cli;
    String global = cli.globalOptions().output();
    OutputFormat format = OutputFormats.parse(spec, output != null ? output : global != null ? global : "table");
    ManagedChannel channel = cli.channels().open(address);
    try {
      return call(AgentServiceGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutSeconds, TimeUnit.SECONDS), channel, format);
    } finally {
      channel.shutdownNow();
      out().flush();
    }
  }

  /** Prints {@code message} as JSON or {@code table} for people; returns 0. */
  int print(OutputFormat format, MessageOrBuilder message, Supplier<String> table) {
    out().print(format == OutputFormat.JSON ? JsonOutput.of(message) : table.get());
    return 0;
  }

  FerryCli cli() {
    return parent.cli;
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }
}
