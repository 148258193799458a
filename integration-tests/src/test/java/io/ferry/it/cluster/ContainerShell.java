package io.ferry.it.cluster;

import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.ExecOutput;
import io.ferry.proto.v1.ExecRequest;
import io.grpc.Channel;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs commands in containers through their host agent's Exec, for tests that look inside. */
public final class ContainerShell {

  /** What a command printed (stdout and stderr together) and its exit code. */
  public record Exec(int exitCode, String output) {}

  private ContainerShell() {}

  /** Runs {@code command} in {@code container} on the agent behind {@code agent}; waits at most 10 s. */
  public static Exec exec(Channel agent, String container, String... command) {
    Iterator<ExecOutput> out =
        AgentServiceGrpc.newBlockingStub(agent).withDeadlineAfter(30, TimeUnit.SECONDS)
            .exec(ExecRequest.newBuilder().setName(container).addAllCommand(List.of(command)).setTimeoutSeconds(10).build());
    StringBuilder text = new StringBuilder();
    int code = -1;
    while (out.hasNext()) {
      ExecOutput part = out.next();
      switch (part.getPartCase()) {
        case STDOUT -> text.append(part.getStdout().toStringUtf8());
        case STDERR -> text.append(part.getStderr().toStringUtf8());
        case EXIT_CODE -> code = part.getExitCode();
        default -> { }
      }
    }
    return new Exec(code, text.toString());
  }
}
