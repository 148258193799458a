package io.ferry.cli.commands;

import io.ferry.cli.output.ContainerView;
import io.ferry.proto.v1.ClusterContainer;
import io.ferry.proto.v1.Limits;
import io.ferry.proto.v1.UpdateLimitsRequest;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code ferry config set NAME key=value...}: a container's settings, changed live. */
@Command(name = "config", description = "Change a container's settings.", subcommands = ConfigCommands.SetCommand.class)
public final class ConfigCommands {

  /** The keys {@code config set} knows, in the order they are listed. */
  static final List<String> KEYS = List.of("limits.cpu", "limits.memory", "limits.pids");

  /**
   * Changes limits without a restart ({@code UpdateLimits}); keys not given stay as they are.
   * {@code limits.cpu} is in cores (a CFS quota over a 100 ms period), {@code limits.memory} a
   * size, {@code limits.pids} a count. An unknown or repeated key is a usage error and nothing is
   * sent.
   */
  @Command(
      name = "set",
      description = {
        "Change limits live: ferry config set NAME limits.memory=512MiB limits.cpu=0.5 limits.pids=200",
        "limits.cpu is in cores; the reply shows the limits now in force."
      })
  static final class SetCommand extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "the container")
    String name;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "KEY=VALUE", description = "limits.cpu, limits.memory or limits.pids")
    List<String> settings;

    @Override
    int run() throws Exception {
      UpdateLimitsRequest request = UpdateLimitsRequest.newBuilder().setName(name).setLimits(limits()).build();
      ClusterContainer container = client().containers(s -> s.updateLimits(request));
      return print(container, () -> ContainerView.limits(container.getContainer().getLimits()));
    }

    Limits limits() {
      Limits.Builder limits = Limits.newBuilder();
      Set<String> seen = new HashSet<>();
      for (String setting : settings) {
        int eq = setting.indexOf('=');
        if (eq <= 0) {
          throw usage("expected KEY=VALUE, not '" + setting + "'");
        }
        String key = setting.substring(0, eq);
        String value = setting.substring(eq + 1);
        if (!seen.add(key)) {
          throw usage("key '" + key + "' given twice");
        }
        switch (key) {
          case "limits.cpu" -> {
            long millis = Arguments.cpuMillis(spec, key, value);
            limits.setCpuQuotaMicros(millis * LaunchCommand.CPU_PERIOD_MICROS / 1000).setCpuPeriodMicros(LaunchCommand.CPU_PERIOD_MICROS);
          }
          case "limits.memory" -> limits.setMemoryBytes(Arguments.size(spec, key, value));
          case "limits.pids" -> limits.setPidsMax(Arguments.positive(spec, key, value));
          default -> throw usage("unknown key '" + key + "' (known: " + String.join(", ", KEYS) + ")");
        }
      }
      return limits.build();
    }
  }
}
