package io.ferry.cli;

import io.ferry.cli.commands.AgentCommand;
import io.ferry.cli.commands.CertificateCommands;
import io.ferry.cli.commands.ClusterOptions;
import io.ferry.cli.commands.ClusterSetupCommands;
import io.ferry.cli.commands.ConfigCommands;
import io.ferry.cli.commands.ContainerCommands;
import io.ferry.cli.commands.EventsCommand;
import io.ferry.cli.commands.ExecCommand;
import io.ferry.cli.commands.HostCommands;
import io.ferry.cli.commands.ImageCommands;
import io.ferry.cli.commands.LaunchCommand;
import io.ferry.cli.commands.OperationCommands;
import io.ferry.cli.commands.SnapshotCommands;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code ferry}: the command-line client. The top-level verbs ({@code launch}, {@code list},
 * {@code image ...}, ...) talk to the cluster's coordinators; {@code ferry agent ...} talks to one
 * agent directly. Exit codes: 0 success, 1 the server refused or failed (the gRPC status and
 * message on stderr) or a followed operation failed, 2 bad usage; {@code exec} exits with the
 * command's own code.
 */
@Command(
    name = "ferry",
    scope = CommandLine.ScopeType.INHERIT,
    mixinStandardHelpOptions = true,
    versionProvider = FerryCli.Version.class,
    description = "Manage a Ferry cluster of system containers.",
    subcommands = {
      LaunchCommand.class,
      ContainerCommands.ListContainers.class,
      ContainerCommands.Info.class,
      ContainerCommands.Start.class,
      ContainerCommands.Stop.class,
      ContainerCommands.Restart.class,
      ContainerCommands.Freeze.class,
      ContainerCommands.Unfreeze.class,
      ContainerCommands.Delete.class,
      ContainerCommands.Copy.class,
      ContainerCommands.Move.class,
      ExecCommand.class,
      ConfigCommands.class,
      SnapshotCommands.class,
      ImageCommands.class,
      HostCommands.class,
      CertificateCommands.class,
      OperationCommands.class,
      EventsCommand.class,
      AgentCommand.class,
      ClusterSetupCommands.class,
      CommandLine.HelpCommand.class
    })
public final class FerryCli {

  /** Exit code when the server answered with an error status or an operation failed. */
  public static final int EXIT_SERVER_ERROR = 1;

  /** Exit code of bad usage (picocli's own for parse errors). */
  public static final int EXIT_USAGE = 2;

  /** Cluster options given before the verb: {@code ferry --coordinator A,B list}. */
  @Mixin ClusterOptions global;

  @CommandLine.Option(names = "--cert", paramLabel = "FILE", description = "client certificate (default: $FERRY_CERT, else ~/.config/ferry/client.crt)")
  Path certificateFile;

  @CommandLine.Option(names = "--key", paramLabel = "FILE", description = "client key, mode 0600 (default: $FERRY_KEY, else ~/.config/ferry/client.key)")
  Path keyFile;

  @CommandLine.Option(names = "--ca", paramLabel = "FILE", description = "cluster CA certificate (default: $FERRY_CA, else ~/.config/ferry/ca.crt)")
  Path caFile;

  private final Channels channels;
  private final Environment environment;
  private final OutputStream rawOut;
  private final OutputStream rawErr;

  private FerryCli(Channels channels, Environment environment, OutputStream rawOut, OutputStream rawErr) {
    this.channels = channels;
    this.environment = environment;
    this.rawOut = rawOut;
    this.rawErr = rawErr;
  }

  /** The channels to use: with the default channels, mutual TLS with the files the flags, environment or defaults name. */
  public Channels channels() {
    if (channels == DEFAULT_CHANNELS) {
      return TlsChannels.resolve(certificateFile, keyFile, caFile, environment.variables(), MAX_ANSWER_BYTES);
    }
    return channels;
  }

  public Environment environment() {
    return environment;
  }

  /** The cluster options given before the verb (each field null when not given). */
  public ClusterOptions globalOptions() {
    return global;
  }

  /** Standard output as bytes, for output that is not text (exec); flush the writer first. */
  public OutputStream rawOut() {
    return rawOut;
  }

  /** Standard error as bytes. */
  public OutputStream rawErr() {
    return rawErr;
  }

  public static void main(String[] args) {
    System.exit(run(defaultChannels(), Environment.system(), System.out, System.err, args));
  }

  /**
   * Runs one command line. Text goes through UTF-8 writers over {@code out} and {@code err},
   * flushed before this returns; exec output goes to them as raw bytes.
   */
  public static int run(Channels channels, Environment environment, OutputStream out, OutputStream err, String... args) {
    PrintWriter outWriter = new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), false);
    PrintWriter errWriter = new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), false);
    CommandLine cli = new CommandLine(new FerryCli(channels, environment, out, err));
    cli.setOut(outWriter);
    cli.setErr(errWriter);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof StatusRuntimeException status) {
            String description = status.getStatus().getDescription();
            errWriter.println("Error: " + status.getStatus().getCode() + (description == null ? "" : ": " + description));
            return EXIT_SERVER_ERROR;
          }
          if (e instanceof IOException || e instanceof UncheckedIOException || e instanceof TimeoutException) {
            errWriter.println("Error: " + e.getMessage());
            return EXIT_SERVER_ERROR;
          }
          throw e;
        });
    try {
      return cli.execute(args);
    } finally {
      outWriter.flush();
      errWriter.flush();
    }
  }

  /**
   * Answers may reach {@value #MAX_ANSWER_BYTES} bytes: a list of 10,000 containers is 2.7 MB,
   * above half of gRPC's default 4 MiB.
   */
  static final int MAX_ANSWER_BYTES = 64 << 20;

  /**
   * Stands for mutual-TLS channels ({@link TlsChannels}) made from the certificate flags, the
   * environment or the defaults once the command line is parsed: see {@link #channels()}.
   */
  static Channels defaultChannels() {
    return DEFAULT_CHANNELS;
  }

  private static final Channels DEFAULT_CHANNELS = address -> {
    throw new IllegalStateException("FerryCli.channels() resolves the default channels");
  };

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = FerryCli.class.getPackage().getImplementationVersion();
      return new String[] {"ferry " + (v == null ? "dev" : v)};
    }
  }
}
