package io.ferry.cli.commands;

import com.google.protobuf.MessageOrBuilder;
import io.ferry.cli.FerryCli;
import io.ferry.cli.client.CoordinatorClient;
import io.ferry.cli.output.JsonOutput;
import io.ferry.cli.output.OutputFormat;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * What every cluster command shares: the {@link ClusterOptions}, a {@link CoordinatorClient} open
 * for the command and closed after it, and printing one result as a table or JSON.
 *
 * <p>Subclasses check their arguments first (usage errors exit 2 before anything is sent), then
 * make their calls; channels are opened on the first call.
 */
abstract class ClusterCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin ClusterOptions options;

  private ClusterOptions.Settings settings;
  private CoordinatorClient client;

  /** Runs the command; returns the exit code. */
  abstract int run() throws Exception;

  @Override
  public final Integer call() throws Exception {
    FerryCli cli = cli();
    settings = options.resolve(cli.globalOptions(), cli.environment().variables(), spec);
    try (CoordinatorClient c = new CoordinatorClient(settings.coordinators(), cli.channels(), settings.callTimeout(), settings.retryFor())) {
      client = c;
      return run();
    } finally {
      out().flush();
      err().flush();
    }
  }

  FerryCli cli() {
    return (FerryCli) spec.root().userObject();
  }

  CoordinatorClient client() {
    return client;
  }

  ClusterOptions.Settings settings() {
    return settings;
  }

  boolean json() {
    return settings.format() == OutputFormat.JSON;
  }

  /** Prints {@code message} as JSON, or {@code table} for people; returns 0. */
  int print(MessageOrBuilder message, Supplier<String> table) {
    out().print(json() ? JsonOutput.of(message) : table.get());
    out().flush();
    return 0;
  }

  ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }
}
