package io.ferry.agent.runtime;

import io.ferry.agent.AgentException;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A command to run inside a running container, as root, without a terminal and with an empty
 * stdin.
 *
 * @param args the program and its arguments; an empty command is refused with INVALID_ARGUMENT
 * @param env extra environment variables, added to (and overriding) the environment the container's
 *     init was started with; {@code PATH} is set to the usual value unless given here
 * @param cwd the working directory inside the container, absolute
 * @param timeout how long the command may run; past it, it and its children are killed and the
 *     call fails with TIMEOUT
 */
public record ExecSpec(List<String> args, Map<String, String> env, String cwd, Duration timeout) {

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  public ExecSpec {
    Objects.requireNonNull(args, "args");
    if (args.isEmpty() || args.get(0) == null || args.get(0).isBlank()) {
      throw AgentException.invalid("exec needs a command: got " + args);
    }
    args = List.copyOf(args);
    env = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(env, "env")));
    env.keySet().forEach(key -> RuntimeSpec.checkEnvKey("exec", key));
    Objects.requireNonNull(cwd, "cwd");
    if (!cwd.startsWith("/")) {
      throw AgentException.invalid("exec working directory must be absolute: " + cwd);
    }
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw AgentException.invalid("exec timeout must be positive: " + timeout);
    }
  }

  /** {@code args} in {@code /} with no extra environment and the default timeout. */
  public static ExecSpec of(List<String> args) {
    return new ExecSpec(args, Map.of(), "/", DEFAULT_TIMEOUT);
  }

  public static ExecSpec of(String... args) {
    return of(List.of(args));
  }

  public ExecSpec withTimeout(Duration newTimeout) {
    return new ExecSpec(args, env, cwd, newTimeout);
  }
}
