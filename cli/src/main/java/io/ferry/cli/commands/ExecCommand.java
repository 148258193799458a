package io.ferry.cli.commands;

import io.ferry.cli.client.ExecStreams;
import io.ferry.proto.v1.ContainerServiceGrpc;
import io.ferry.proto.v1.ExecOutput;
import io.ferry.proto.v1.ExecRequest;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ferry exec NAME -- CMD...}: runs a command in a running container; its stdout and stderr
 * pass through as bytes and {@code ferry} exits with its exit code. Fails over to another
 * coordinator only until the first output arrives, never once the command is known to run.
 */
@Command(name = "exec", description = "Run a command in a running container: ferry exec NAME -- CMD... (exits with its code).")
public final class ExecCommand extends ClusterCommand {

  @Parameters(index = "0", paramLabel = "NAME", description = "the container")
  String name;

  @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "the command and its arguments, after --")
  List<String> command;

  @Option(names = "--env", paramLabel = "KEY=VALUE", description = "an environment variable for the command (repeatable)")
  Map<String, String> env = new LinkedHashMap<>();

  @Option(names = "--cwd", paramLabel = "DIR", description = "working directory inside the container")
  String cwd;

  @Option(names = "--timeout", paramLabel = "SECONDS", description = "kill the command after this long (default: --wait-timeout)")
  Integer timeout;

  @Override
  int run() throws Exception {
    ExecRequest.Builder request = ExecRequest.newBuilder().setName(name).addAllCommand(command).putAllEnv(env);
    if (cwd != null) {
      request.setCwd(cwd);
    }
    Duration deadline = settings().waitTimeout();
    if (timeout != null) {
      request.setTimeoutSeconds((int) Arguments.positive(spec, "--timeout", timeout.toString()));
      deadline = Duration.ofSeconds(timeout).plus(settings().callTimeout());
    }
    long deadlineMillis = deadline.toMillis();
    Iterator<ExecOutput> output = client().call((channel, address) -> {
      Iterator<ExecOutput> stream = ContainerServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)
          .exec(request.build());
      stream.hasNext(); // the first message or the call's failure: UNAVAILABLE here may fail over
      return stream;
    });
    out().flush();
    return ExecStreams.copy(output, cli().rawOut(), cli().rawErr());
  }
}
