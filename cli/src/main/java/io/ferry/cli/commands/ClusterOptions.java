package io.ferry.cli.commands;

import io.ferry.cli.output.OutputFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The options of every cluster command, accepted before the verb ({@code ferry --coordinator A
 * list}) and after it ({@code ferry list --coordinator A}); after wins. Every field is null when
 * not given, so the two places can be merged; defaults live in {@link #resolve}.
 */
public final class ClusterOptions {

  /** The environment variable that names the coordinators when {@code --coordinator} is not given. */
  public static final String COORDINATOR_ENV = "FERRY_COORDINATOR";

  public static final String DEFAULT_COORDINATOR = "127.0.0.1:7700";
  static final long DEFAULT_CALL_TIMEOUT_SECONDS = 30;
  static final long DEFAULT_WAIT_TIMEOUT_SECONDS = 1800;
  static final long DEFAULT_RETRY_SECONDS = 15;

  @Option(
      names = "--coordinator",
      paramLabel = "ADDRESS[,ADDRESS...]",
      description = "coordinators to try in order (default: $" + COORDINATOR_ENV + ", else " + DEFAULT_COORDINATOR + ")")
  String coordinator;

  @Option(names = {"-o", "--output"}, paramLabel = "table|json", description = "tables for people (default), json for scripts")
  String output;

  @Option(names = "--call-timeout", paramLabel = "SECONDS", description = "deadline of each quick call (default 30)")
  Long callTimeoutSeconds;

  @Option(
      names = "--wait-timeout",
      paramLabel = "SECONDS",
      description = "how long to follow an operation, an upload or an exec (default 1800)")
  Long waitTimeoutSeconds;

  @Option(
      names = "--retry-for",
      paramLabel = "SECONDS",
      description = "how long to keep trying coordinators that are unavailable, e.g. during a leader election (default 15; 0: each once)")
  Long retrySeconds;

  /** {@code --output} as given here, or null. */
  public String output() {
    return output;
  }

  /** What a command runs with, every value decided. */
  record Settings(List<String> coordinators, OutputFormat format, Duration callTimeout, Duration waitTimeout, Duration retryFor) {}

  /** This command's options over those given before the verb, then the environment, then defaults. */
  Settings resolve(ClusterOptions global, Map<String, String> env, CommandSpec spec) {
    String coordinators = first(coordinator, global.coordinator, env.get(COORDINATOR_ENV), DEFAULT_COORDINATOR);
    return new Settings(
        addresses(coordinators, spec),
        OutputFormats.parse(spec, first(output, global.output, "table")),
        seconds("--call-timeout", first(callTimeoutSeconds, global.callTimeoutSeconds, DEFAULT_CALL_TIMEOUT_SECONDS), 1, spec),
        seconds("--wait-timeout", first(waitTimeoutSeconds, global.waitTimeoutSeconds, DEFAULT_WAIT_TIMEOUT_SECONDS), 1, spec),
        seconds("--retry-for", first(retrySeconds, global.retrySeconds, DEFAULT_RETRY_SECONDS), 0, spec));
  }

  private static List<String> addresses(String text, CommandSpec spec) {
    List<String> addresses = new ArrayList<>();
    for (String a : text.split(",", -1)) {
      String address = a.trim();
      if (address.isEmpty()) {
        throw new ParameterException(spec.commandLine(), "--coordinator: an empty address in '" + text + "'");
      }
      if (!addresses.contains(address)) {
        addresses.add(address);
      }
    }
    return addresses;
  }

  private static Duration seconds(String option, long value, long min, CommandSpec spec) {
    if (value < min) {
      throw new ParameterException(spec.commandLine(), option + " must be at least " + min + " seconds, not " + value);
    }
    return Duration.ofSeconds(value);
  }

  @SafeVarargs
  private static <T> T first(T... values) {
    for (T v : values) {
      if (v != null && !(v instanceof String s && s.isBlank())) {
        return v;
      }
    }
    throw new IllegalStateException("no default");
  }
}
