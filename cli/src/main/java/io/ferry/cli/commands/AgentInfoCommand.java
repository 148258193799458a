package io.ferry.cli.commands;

import io.ferry.cli.output.HostView;
import io.ferry.cli.output.OutputFormat;
import io.ferry.proto.v1.AgentServiceGrpc;
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
    return print(format, host, () -> HostView.facts(host));
  }
}
