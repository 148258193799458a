package io.ferry.cli.commands;

import io.ferry.cli.output.ContainerView;
import io.ferry.cli.output.OperationView;
import io.ferry.proto.v1.ClusterContainer;
import io.ferry.proto.v1.ContainerRef;
import io.ferry.proto.v1.ContainerServiceGrpc.ContainerServiceBlockingStub;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.CopyContainerRequest;
import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.GetContainerRequest;
import io.ferry.proto.v1.ListClusterContainersRequest;
import io.ferry.proto.v1.ListClusterContainersResponse;
import io.ferry.proto.v1.MigrateRequest;
import io.ferry.proto.v1.MigrationMode;
import io.ferry.proto.v1.Operation;
import io.ferry.proto.v1.StartContainerRequest;
import io.ferry.proto.v1.StopContainerRequest;
import java.util.List;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The cluster's containers: {@code list}, {@code info}, and the lifecycle verbs. Start, stop,
 * restart, delete and copy are operations (followed unless {@code --async}); freeze and unfreeze
 * answer at once.
 */
public final class ContainerCommands {

  private ContainerCommands() {}

  @Command(name = "list", description = "List the cluster's containers.")
  public static final class ListContainers extends ClusterCommand {
    @Option(names = "--host", paramLabel = "HOST", description = "only those on this host")
    String host;

    @Option(names = "--state", paramLabel = "STATE", description = "only those in this state, e.g. running, stopped, frozen")
    String state;

    @Option(names = "--prefix", paramLabel = "PREFIX", description = "only those whose name starts with PREFIX")
    String prefix;

    @Override
    int run() throws Exception {
      ListClusterContainersRequest.Builder request = ListClusterContainersRequest.newBuilder();
      if (host != null) {
        request.setHost(host);
      }
      if (state != null) {
        request.setState(Arguments.choice(spec, "--state", state, ContainerState.class, "CONTAINER_STATE_"));
      }
      if (prefix != null) {
        request.setNamePrefix(prefix);
      }
      ListClusterContainersResponse list = client().containers(s -> s.list(request.build()));
      return print(list, () -> ContainerView.clusterTable(list.getContainersList()));
    }
  }

  @Command(name = "info", description = "Show one container: state, host, limits, usage, placement.")
  public static final class Info extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "the container")
    String name;

    @Override
    int run() throws Exception {
      var container = client().containers(s -> s.get(GetContainerRequest.newBuilder().setName(name).build()));
      return print(container, () -> ContainerView.details(container));
    }
  }

  /**
   * A lifecycle operation on one container, NAME. Subclasses check their options and build the
   * request, then {@link #send} it.
   */
  abstract static class ContainerOperation extends OperationCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "the container")
    String name;

    /**
     * Makes the call and reports the operation it returns; {@code done} is what the success line
     * says happened to NAME, e.g. {@code started}.
     */
    int send(Function<ContainerServiceBlockingStub, Operation> call, String done) throws Exception {
      return reportOperation(client().containers(call), name + " " + done);
    }
  }

  @Command(name = "start", description = "Start a stopped container, or --stateful resume a checkpointed one.")
  public static final class Start extends ContainerOperation {
    @Option(names = "--stateful", description = "resume from the checkpoint of a stateful stop")
    boolean stateful;

    @Override
    int run() throws Exception {
      StartContainerRequest request = StartContainerRequest.newBuilder().setName(name).setStateful(stateful).build();
      return send(s -> s.start(request), "started");
    }
  }

  @Command(name = "stop", description = "Stop a container: cleanly, --force, or --stateful (CRIU checkpoint).")
  public static final class Stop extends ContainerOperation {
    @Option(names = "--force", description = "kill at once")
    boolean force;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "how long init may take to shut down (default: the agent's)")
    Integer timeout;

    @Option(names = "--stateful", description = "checkpoint its memory; start --stateful resumes it")
    boolean stateful;

    @Override
    int run() throws Exception {
      StopContainerRequest request = stopRequest(this, name, force, timeout).setStateful(stateful).build();
      return send(s -> s.stop(request), "stopped");
    }
  }

  @Command(name = "restart", description = "Stop a container and start it again.")
  public static final class Restart extends ContainerOperation {
    @Option(names = "--force", description = "kill at once instead of a clean shutdown")
    boolean force;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "how long init may take to shut down (default: the agent's)")
    Integer timeout;

    @Override
    int run() throws Exception {
      StopContainerRequest request = stopRequest(this, name, force, timeout).build();
      return send(s -> s.restart(request), "restarted");
    }
  }

  @Command(name = "delete", description = "Delete a container and give its reservation back (--force: even while running).")
  public static final class Delete extends ContainerOperation {
    @Option(names = "--force", description = "stop it first if running")
    boolean force;

    @Override
    int run() throws Exception {
      DeleteContainerRequest request = DeleteContainerRequest.newBuilder().setName(name).setForce(force).build();
      return send(s -> s.delete(request), "deleted");
    }
  }

  @Command(name = "copy", description = "Copy a stopped container under a new name, on the same host.")
  public static final class Copy extends OperationCommand {
    @Parameters(index = "0", paramLabel = "SOURCE", description = "the container to copy")
    String source;

    @Parameters(index = "1", paramLabel = "TARGET", description = "the copy's name (a DNS label)")
    String target;

    @Override
    int run() throws Exception {
      Arguments.newName(spec, "container", target);
      CopyContainerRequest request = CopyContainerRequest.newBuilder().setSource(source).setTarget(target).build();
      return reportOperation(client().containers(s -> s.copy(request)), source + " copied to " + target);
    }
  }

  @Command(
      name = "move",
      description = "Move a container to another host, keeping its name, address and MAC; live modes keep its processes running.")
  public static final class Move extends OperationCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "the container to move")
    String name;

    @Option(names = "--target", paramLabel = "HOST", description = "the host to move to (default: placement chooses)")
    String target = "";

    @Option(
        names = "--mode",
        paramLabel = "MODE",
        description = "auto (default: live when both hosts can, else near-live), cold, near-live, live, post-copy, pre-copy")
    String mode = "auto";

    @Option(names = "--tcp-established", negatable = true, description = "keep established TCP connections (default: on for live modes)")
    Boolean tcpEstablished;

    @Override
    int run() throws Exception {
      MigrationMode parsed = Arguments.migrationMode(spec, mode);
      MigrateRequest.Builder request = MigrateRequest.newBuilder().setName(name).setTargetHost(target).setMode(parsed);
      if (tcpEstablished != null) {
        request.setTcpEstablished(tcpEstablished);
      }
      Operation started = client().containers(s -> s.migrate(request.build()));
      return report(started, op -> op, op -> name + " moved: " + OperationView.migrationResult(op.getMigration().getResult()));
    }
  }

  /** A change to one container, NAME, that answers at once with the container as it now is. */
  abstract static class ContainerChange extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "the container")
    String name;

    /** Makes the call that changes {@code container}; returns it as it now is. */
    abstract ClusterContainer change(ContainerServiceBlockingStub containers, ContainerRef container);

    @Override
    final int run() throws Exception {
      ContainerRef ref = ContainerRef.newBuilder().setName(name).build();
      ClusterContainer container = client().containers(s -> change(s, ref));
      return print(container, () -> ContainerView.clusterTable(List.of(container)));
    }
  }

  @Command(name = "freeze", description = "Freeze every process of a running container.")
  public static final class Freeze extends ContainerChange {
    @Override
    ClusterContainer change(ContainerServiceBlockingStub containers, ContainerRef container) {
      return containers.freeze(container);
    }
  }

  @Command(name = "unfreeze", description = "Thaw a frozen container.")
  public static final class Unfreeze extends ContainerChange {
    @Override
    ClusterContainer change(ContainerServiceBlockingStub containers, ContainerRef container) {
      return containers.unfreeze(container);
    }
  }

  private static StopContainerRequest.Builder stopRequest(ClusterCommand command, String name, boolean force, Integer timeout) {
    StopContainerRequest.Builder request = StopContainerRequest.newBuilder().setName(name).setForce(force);
    if (timeout != null) {
      request.setTimeoutSeconds((int) Arguments.positive(command.spec, "--timeout", timeout.toString()));
    }
    return request;
  }
}
