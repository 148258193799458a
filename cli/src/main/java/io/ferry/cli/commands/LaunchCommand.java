package io.ferry.cli.commands;

import io.ferry.cli.FerryCli;
import io.ferry.cli.output.JsonOutput;
import io.ferry.cli.output.Table;
import io.ferry.proto.v1.HostVerdict;
import io.ferry.proto.v1.LaunchRequest;
import io.ferry.proto.v1.LaunchResponse;
import io.ferry.proto.v1.Limits;
import io.ferry.proto.v1.PlacementStrategy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ferry launch IMAGE NAME}: the cluster places the container on a host, creates and
 * starts it. {@code --cpu} is in cores: it is reserved for placement and enforced as a CFS quota
 * (quota = cores x the 100 ms period); {@code --memory} is the hard limit and the reservation;
 * {@code --disk} is reserved for placement.
 */
@Command(
    name = "launch",
    description = {
      "Place a new container on a host, create and start it.",
      "Follows the operation to its end unless --async; --dry-run only shows each host's verdict."
    })
public final class LaunchCommand extends OperationCommand {

  /** CFS period the CPU quota is expressed in: 100 ms, the kernel's default. */
  static final long CPU_PERIOD_MICROS = 100_000;

  @Parameters(index = "0", paramLabel = "IMAGE", description = "image alias or digest")
  String image;

  @Parameters(index = "1", paramLabel = "NAME", description = "the new container's name (a DNS label)")
  String name;

  @Parameters(index = "2..*", paramLabel = "CMD", description = "PID 1 and its arguments, after -- (default /sbin/init)")
  List<String> command = new ArrayList<>();

  @Option(names = "--cpu", paramLabel = "CORES", description = "cores to reserve and allow, e.g. 0.5 or 2")
  String cpu;

  @Option(names = "--memory", paramLabel = "SIZE", description = "memory limit and reservation, e.g. 512MiB")
  String memory;

  @Option(names = "--disk", paramLabel = "SIZE", description = "disk to reserve, e.g. 2GiB")
  String disk;

  @Option(names = "--label", paramLabel = "KEY=VALUE", description = "a label the host must have (repeatable)")
  Map<String, String> labels = new LinkedHashMap<>();

  @Option(names = "--anti-affinity", paramLabel = "GROUP", description = "at most one container of GROUP per host")
  String antiAffinity;

  @Option(names = "--target", paramLabel = "HOST", description = "consider only this host")
  String target;

  @Option(names = "--strategy", paramLabel = "spread|binpack", description = "spread (most free after placing) or binpack (fullest that fits)")
  String strategy;

  @Option(names = "--init", paramLabel = "systemd|generic", defaultValue = "generic", description = "what PID 1 is (default generic)")
  String init;

  @Option(names = "--ha", description = "high availability: keep a standby replica on another host and restart there if this host dies")
  boolean ha;

  @Option(names = "--dry-run", description = "show each host's verdict and the chosen host; launch nothing")
  boolean dryRun;

  @Override
  int run() throws Exception {
    LaunchRequest request = request();
    LaunchResponse response = client().containers(s -> s.launch(request));
    if (dryRun) {
      return dryRun(response);
    }
    return report(
        response.getOperation(),
        op -> response.toBuilder().setOperation(op).build(),
        op -> name + " launched" + (response.getChosenHost().isEmpty() ? "" : " on " + response.getChosenHost()));
  }

  LaunchRequest request() {
    Arguments.newName(spec, "container", name);
    Limits.Builder limits = Limits.newBuilder();
    LaunchRequest.Builder request = LaunchRequest.newBuilder();
    if (cpu != null) {
      long millis = Arguments.cpuMillis(spec, "--cpu", cpu);
      request.setCpuMillis(millis);
      limits.setCpuQuotaMicros(millis * CPU_PERIOD_MICROS / 1000).setCpuPeriodMicros(CPU_PERIOD_MICROS);
    }
    NewContainer.withMemory(spec, limits, memory);
    if (disk != null) {
      request.setDiskBytes(Arguments.size(spec, "--disk", disk));
    }
    if (strategy != null) {
      request.setStrategy(Arguments.choice(spec, "--strategy", strategy, PlacementStrategy.class, "PLACEMENT_STRATEGY_"));
    }
    return request
        .setSpec(NewContainer.spec(spec, name, image, init, command, limits).setHa(ha))
        .putAllRequiredLabels(labels)
        .setAntiAffinityGroup(antiAffinity == null ? "" : antiAffinity)
        .setTargetHost(target == null ? "" : target)
        .setDryRun(dryRun)
        .build();
  }

  /** The verdicts, then the chosen host; exit 1 when no host fits. */
  private int dryRun(LaunchResponse response) {
    if (json()) {
      out().print(JsonOutput.of(response));
    } else {
      Table table = new Table("host", "fits", "score", "reason");
      for (HostVerdict v : response.getVerdictsList()) {
        table.row(v.getHost(), v.getFits() ? "yes" : "no", v.getFits() ? String.format(Locale.ROOT, "%.3f", v.getScore()) : "", v.getReason());
      }
      out().print(table.render());
      out().println(response.getChosenHost().isEmpty() ? "no host fits" : "chosen host: " + response.getChosenHost());
    }
    if (response.getChosenHost().isEmpty()) {
      err().println("Error: no host fits " + name + (json() ? "" : " (see the reasons above)"));
      return FerryCli.EXIT_SERVER_ERROR;
    }
    return 0;
  }
}
