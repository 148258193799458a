package io.ferry.cli.commands;

import io.ferry.cli.output.HostView;
import io.ferry.proto.v1.GetHostRequest;
import io.ferry.proto.v1.ListHostsRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ferry host list|info}: the cluster's hosts, what placement has reserved on each. */
@Command(name = "host", description = "The cluster's hosts.", subcommands = {HostCommands.ListHosts.class, HostCommands.Info.class})
public final class HostCommands {

  @Command(name = "list", description = "List hosts: state, address, cpu/memory/disk allocated of total, containers.")
  static final class ListHosts extends ClusterCommand {
    @Option(names = "--label", paramLabel = "KEY=VALUE", description = "only hosts with this label (repeatable)")
    Map<String, String> labels = new LinkedHashMap<>();

    @Override
    int run() throws Exception {
      var hosts = client().hosts(s -> s.listHosts(ListHostsRequest.newBuilder().putAllLabels(labels).build()));
      return print(hosts, () -> HostView.table(hosts.getHostsList()));
    }
  }

  @Command(name = "info", description = "Show one host: labels, allocation, capacity, runtime and CRIU features.")
  static final class Info extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "the host")
    String name;

    @Override
    int run() throws Exception {
      var host = client().hosts(s -> s.getHost(GetHostRequest.newBuilder().setName(name).build()));
      return print(host, () -> HostView.details(host));
    }
  }
}
