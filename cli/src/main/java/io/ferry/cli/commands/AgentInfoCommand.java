package io.ferry.cli.commands;

import io.ferry.cli.output.JsonOutput;
import io.ferry.cli.output.OutputFormat;
import io.ferry.cli.output.Table;
import io.ferry.common.ByteSize;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.CriuFeature;
import io.ferry.proto.v1.GetHostInfoRequest;
import io.ferry.proto.v1.HostInfo;
import io.grpc.ManagedChannel;
import picocli.CommandLine.Command;

/** {@code ferry agent info ADDRESS}: the host's capacity, runtime and CRIU features. */
@Command(name = "info", description = "Show a host's capacity, runtime and CRIU features.")
final class AgentInfoCommand extends AgentCall {

  @Override
  int call(AgentServiceGrpc.AgentServiceBlockingStub agent, ManagedChannel channel, OutputFormat format) {
    HostInfo host = agent.getHostInfo(GetHostInfoRequest.getDefaultInstance()).getHost();
    out().print(format == OutputFormat.JSON ? JsonOutput.of(host) : render(host));
    return 0;
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
