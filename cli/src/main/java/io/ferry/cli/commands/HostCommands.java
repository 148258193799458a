package io.ferry.cli.commands;

import io.ferry.cli.output.HostView;
import io.ferry.proto.v1.GetHostRequest;
import io.ferry.proto.v1.ListHostsRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ferry host list|info|add|remove}: the cluster's hosts, what placement has reserved on
 * each; admitting a host with a join token and removing one (revoking its certificates).
 */
@Command(
    name = "host",
    description = "The cluster's hosts.",
    subcommands = {HostCommands.ListHosts.class, HostCommands.Info.class, HostCommands.Add.class, HostCommands.Remove.class})
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

  @Command(name = "add", description = "Issue a one-time join token for a new host (admin). Start its agent with join.token=TOKEN.")
  static final class Add extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "the new host's name")
    String name;

    @Option(names = "--ttl", paramLabel = "SECONDS", description = "how long the token stays usable (default: the coordinator's join.token-lifetime)")
    long ttlSeconds;

    @Override
    int run() throws Exception {
      var answer = client().hosts(s -> s.addHost(io.ferry.proto.v1.AddHostRequest.newBuilder().setName(name).setLifetimeSeconds(ttlSeconds).build()));
      return print(answer, () -> "Join token for host " + name + " (one use, until "
          + java.time.Instant.ofEpochSecond(answer.getExpiresAt().getSeconds()) + "):\n" + answer.getJoinToken() + "\n");
    }
  }

  @Command(name = "remove", description = "Remove a host: revoke every certificate it got by joining (admin).")
  static final class Remove extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "the host")
    String name;

    @Override
    int run() throws Exception {
      var answer = client().hosts(s -> s.removeHost(io.ferry.proto.v1.RemoveHostRequest.newBuilder().setName(name).build()));
      return print(answer, () -> "Host " + name + ": revoked " + String.join(", ", answer.getRevokedSerialsList()) + "\n");
    }
  }
}
