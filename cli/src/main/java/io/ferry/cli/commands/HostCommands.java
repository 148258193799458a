package io.ferry.cli.commands;

import io.ferry.cli.output.HostView;
import io.ferry.cli.output.Table;
import io.ferry.proto.v1.ContainerMove;
import io.ferry.proto.v1.EvacuateHostRequest;
import io.ferry.proto.v1.MigrationMode;
import io.ferry.proto.v1.Operation;
import io.ferry.proto.v1.OperationState;
import io.ferry.proto.v1.RestoreHostRequest;
import java.util.Locale;
import io.ferry.proto.v1.GetHostRequest;
import io.ferry.proto.v1.ListHostsRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ferry host list|info|add|remove|evacuate|restore}: the cluster's hosts, what placement has
 * reserved on each; admitting a host with a join token, removing one (revoking its certificates),
 * and draining one for maintenance.
 */
@Command(name = "host", description = "The cluster's hosts.", subcommands = {HostCommands.ListHosts.class, HostCommands.Info.class,
    HostCommands.Add.class, HostCommands.Remove.class, HostCommands.Evacuate.class, HostCommands.Restore.class})
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

  @Command(name = "evacuate", description = "Drain a host: it takes no new containers and its containers move elsewhere;"
      + " prints what happened to each.")
  static final class Evacuate extends MovesCommand {
    @Option(names = "--mode", paramLabel = "MODE", description = "how each container moves: auto (default), live, post-copy,"
        + " near-live, cold; or stop (stop them where they are)")
    String mode = "auto";

    @Override
    int run() throws Exception {
      boolean stop = mode.equals("stop");
      EvacuateHostRequest request = EvacuateHostRequest.newBuilder().setName(name).setStop(stop)
          .setMode(stop ? MigrationMode.MIGRATION_MODE_AUTO : Arguments.migrationMode(spec, mode)).setParallel(parallel).build();
      return reportMoves(client().hosts(s -> s.evacuate(request)), name + " evacuated");
    }
  }

  @Command(name = "restore", description = "Take a host back: it takes containers again, and those its latest evacuation"
      + " moved away move back.")
  static final class Restore extends MovesCommand {
    @Option(names = "--mode", paramLabel = "MODE", description = "how each container moves back: auto (default), live,"
        + " post-copy, near-live, cold")
    String mode = "auto";

    @Override
    int run() throws Exception {
      RestoreHostRequest request = RestoreHostRequest.newBuilder().setName(name).setMode(Arguments.migrationMode(spec, mode))
          .setParallel(parallel).build();
      return reportMoves(client().hosts(s -> s.restore(request)), name + " restored");
    }
  }

  /** An evacuation or a restore: followed to its end, then a line per container. */
  abstract static class MovesCommand extends OperationCommand {
    @Parameters(index = "0", paramLabel = "HOST", description = "the host")
    String name;

    @Option(names = "--parallel", paramLabel = "N", description = "moves at once (default 4, at most 32)")
    int parallel;

    int reportMoves(Operation started, String success) throws Exception {
      if (async || json()) {
        return report(started, op -> op, op -> success);
      }
      Operation done = follow(started);
      Table table = new Table("container", "state", "from", "to", "detail");
      for (ContainerMove m : done.getEvacuation().getMovesList()) {
        table.row(m.getContainer(), m.getState().name().substring("STATE_".length()).toLowerCase(Locale.ROOT).replace('_', '-'),
            m.getFromHost(), m.getToHost(), m.getDetail());
      }
      if (done.getEvacuation().getMovesCount() > 0) {
        out().print(table.render());
      }
      if (done.getState() == OperationState.OPERATION_STATE_SUCCEEDED) {
        out().println(success);
      }
      return exitCode(done);
    }
  }
}
