package io.ferry.cli.commands;

import io.ferry.cli.client.ExecStreams;
import io.ferry.cli.output.ContainerView;
import io.ferry.cli.output.OutputFormat;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.CreateContainerRequest;
import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.ExecOutput;
import io.ferry.proto.v1.ExecRequest;
import io.ferry.proto.v1.Limits;
import io.ferry.proto.v1.ListContainersRequest;
import io.ferry.proto.v1.ListContainersResponse;
import io.ferry.proto.v1.StartContainerRequest;
import io.ferry.proto.v1.StopContainerRequest;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ferry agent launch|list|exec|stop|start|delete}: one agent's containers. */
final class AgentContainerCommands {

  private AgentContainerCommands() {}

  /** A command about one named container: ADDRESS NAME. */
  abstract static class Named extends AgentCall {
    @Parameters(index = "1", paramLabel = "NAME", description = "the container")
    String name;

    int printed(Container c, OutputFormat format) {
      return print(format, c, () -> ContainerView.agentTable(List.of(c)));
    }
  }

  @Command(name = "launch", description = "Create and start a container on this agent.")
  static final class Launch extends AgentCall {
    @Parameters(index = "1", paramLabel = "IMAGE", description = "image alias or digest")
    String image;

    @Parameters(index = "2", paramLabel = "NAME", description = "the new container's name")
    String name;

    @Parameters(index = "3..*", paramLabel = "CMD", description = "PID 1 (default /sbin/init)")
    List<String> command = new ArrayList<>();

    @Option(names = "--init", defaultValue = "generic", description = "systemd or generic")
    String init;

    @Option(names = "--memory", description = "memory limit, e.g. 512MiB")
    String memory;

    @Option(names = "--cpu-shares", description = "relative CPU weight")
    Long cpuShares;

    @Override
    int call(AgentServiceGrpc.AgentServiceBlockingStub agent, ManagedChannel channel, OutputFormat format) {
      Limits.Builder limits = NewContainer.withMemory(spec, Limits.newBuilder(), memory);
      if (cpuShares != null) {
        limits.setCpuShares(cpuShares);
      }
      ContainerSpec.Builder container = NewContainer.spec(spec, name, image, init, command, limits);
      Container c = agent.createContainer(CreateContainerRequest.newBuilder().setSpec(container).setStart(true).build());
      return print(format, c, () -> ContainerView.agentTable(List.of(c)));
    }
  }

  @Command(name = "list", description = "List an agent's containers.")
  static final class ListContainers extends AgentCall {
    @Override
    int call(AgentServiceGrpc.AgentServiceBlockingStub agent, ManagedChannel channel, OutputFormat format) {
      ListContainersResponse list = agent.listContainers(ListContainersRequest.getDefaultInstance());
      return print(format, list, () -> ContainerView.agentTable(list.getContainersList()));
    }
  }

  /** Exits with the command's own exit code; its stdout and stderr go to ours. */
  @Command(name = "exec", description = "Run a command in a running container: ferry agent exec ADDRESS NAME -- CMD...")
  static final class Exec extends Named {
    @Parameters(index = "2..*", paramLabel = "CMD", arity = "1..*", description = "the command")
    List<String> command;

    @Override
    int call(AgentServiceGrpc.AgentServiceBlockingStub agent, ManagedChannel channel, OutputFormat format) throws IOException {
      Iterator<ExecOutput> output = agent.exec(ExecRequest.newBuilder().setName(name).addAllCommand(command).build());
      out().flush();
      return ExecStreams.copy(output, cli().rawOut(), cli().rawErr());
    }
  }

  @Command(name = "stop", description = "Stop a container: cleanly, --force, or --stateful (CRIU checkpoint).")
  static final class Stop extends Named {
    @Option(names = "--force", description = "kill at once")
    boolean force;

    @Option(names = "--stateful", description = "checkpoint its memory; a stateful start resumes it")
    boolean stateful;

    @Option(names = "--stop-timeout", defaultValue = "0", description = "seconds init may take (0: the agent's default)")
    int stopTimeout;

    @Override
    int call(AgentServiceGrpc.AgentServiceBlockingStub agent, ManagedChannel channel, OutputFormat format) {
      return printed(agent.stopContainer(StopContainerRequest.newBuilder()
          .setName(name).setForce(force).setStateful(stateful).setTimeoutSeconds(stopTimeout).build()), format);
    }
  }

  @Command(name = "start", description = "Start a stopped container, or --stateful resume a checkpointed one.")
  static final class Start extends Named {
    @Option(names = "--stateful", description = "resume from its checkpoint")
    boolean stateful;

    @Override
    int call(AgentServiceGrpc.AgentServiceBlockingStub agent, ManagedChannel channel, OutputFormat format) {
      return printed(agent.startContainer(StartContainerRequest.newBuilder().setName(name).setStateful(stateful).build()), format);
    }
  }

  @Command(name = "delete", description = "Delete a container (--force: even while running).")
  static final class Delete extends Named {
    @Option(names = "--force", description = "stop it first if running")
    boolean force;

    @Override
    int call(AgentServiceGrpc.AgentServiceBlockingStub agent, ManagedChannel channel, OutputFormat format) {
      agent.deleteContainer(DeleteContainerRequest.newBuilder().setName(name).setForce(force).build());
      return 0;
    }
  }
}
