package io.ferry.cli.commands;

import io.ferry.cli.FerryCli;
import io.ferry.cli.output.JsonOutput;
import io.ferry.cli.output.OutputFormat;
import io.ferry.cli.output.Table;
import io.ferry.common.ByteSize;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.CriuFeature;
import io.ferry.proto.v1.GetHostInfoRequest;
import io.ferry.proto.v1.HostInfo;
import io.grpc.ManagedChannel;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code ferry agent info ADDRESS}: asks one agent directly what its host is (diagnosis). */
@Command(name = "agent", description = "Talk to one agent directly (diagnosis).", subcommands = AgentCommand.Info.class)
public final class AgentCommand {

  @ParentCommand FerryCli cli;

  @Command(name = "info", description = "Show a host's capacity, runtime and CRIU features.")
  static final class Info implements Callable<Integer> {

    @ParentCommand AgentCommand parent;

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ADDRESS", description = "the agent's host:port")
    String address;

    @Option(names = {"-o", "--output"}, description = "table or json", defaultValue = "table")
    String output;

    @Option(names = "--timeout-seconds", defaultValue = "10", description = "deadline of the call")
    long timeoutSeconds;

    @Override
    public Integer call() {
      OutputFormat format = OutputFormats.parse(spec, output);
      ManagedChannel channel = parent.cli.channels().open(address);
      try {
        HostInfo host =
            AgentServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(timeoutSeconds, TimeUnit.SECONDS)
                .getHostInfo(GetHostInfoRequest.getDefaultInstance())
                .getHost();
        spec.commandLine().getOut().print(format == OutputFormat.JSON ? JsonOutput.of(host) : render(host));
        return 0;
      } finally {
        channel.shutdownNow();
      }
    }

    static String render(HostInfo host) {
      Table facts =
          new Table("host", "kernel", "cpus", "memory", "disk free", "runtime", "criu")
              .row(
                  host.getHostName(),
                  host.getKernelVersion(),
                  host.getCapacity().getCpuCores(),
                  ByteSize.ofBytes(host.getCapacity().getMemoryBytes()).humanReadable(),
                  ByteSize.ofBytes(host.getCapacity().getDiskFreeBytes()).humanReadable()
                      + " of "
                      + ByteSize.ofBytes(host.getCapacity().getDiskBytes()).humanReadable(),
                  host.getRuntime().getName() + " " + host.getRuntime().getVersion(),
                  !host.getCriu().getAvailable()
                      ? "unavailable"
                      : host.getCriu().getVersion() + (host.getCriu().getCheckPassed() ? " (check passed)" : " (check FAILED)"));
      Table features = new Table("criu feature", "supported", "detail");
      for (CriuFeature f : host.getCriu().getFeaturesList()) {
        features.row(f.getName(), f.getSupported() ? "yes" : "no", f.getDetail());
      }
      return facts.render() + "\n" + features.render();
    }
  }
}
