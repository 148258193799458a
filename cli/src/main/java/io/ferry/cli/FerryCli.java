package io.ferry.cli;

import io.ferry.cli.commands.AgentCommand;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ferry}: the command-line client. Exit codes: 0 success, 1 the server refused or failed
 * (the gRPC status and message on stderr), 2 bad usage.
 */
@Command(
    name = "ferry",
    mixinStandardHelpOptions = true,
    versionProvider = FerryCli.Version.class,
    description = "Manage a Ferry cluster of system containers.",
    subcommands = {AgentCommand.class, CommandLine.HelpCommand.class})
public final class FerryCli {

  /** Exit code when the server answered with an error status. */
  public static final int EXIT_SERVER_ERROR = 1;

  private final Channels channels;

  public FerryCli(Channels channels) {
    this.channels = channels;
  }

  public Channels channels() {
    return channels;
  }

  public static void main(String[] args) {
    System.exit(run(defaultChannels(), new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }

  /** Runs one command line; output goes to {@code out}, errors to {@code err}. */
  public static int run(Channels channels, PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new FerryCli(channels));
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof StatusRuntimeException status) {
            err.println("Error: " + status.getStatus().getCode() + ": " + status.getStatus().getDescription());
            return EXIT_SERVER_ERROR;
          }
          throw e;
        });
    try {
      return cli.execute(args);
    } finally {
      out.flush();
      err.flush();
    }
  }

  static Channels defaultChannels() {
    return address -> NettyChannelBuilder.forTarget(address).usePlaintext().build();
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = FerryCli.class.getPackage().getImplementationVersion();
      return new String[] {"ferry " + (v == null ? "dev" : v)};
    }
  }
}
