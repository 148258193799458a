package io.ferry.agent.lifecycle;

import io.ferry.agent.AgentException;
import io.ferry.agent.runtime.InitKind;
import io.ferry.agent.runtime.Limits;
import io.ferry.common.Names;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a caller asks for when creating a container. Validated on construction: a bad name or an
 * empty image is an INVALID_ARGUMENT before anything is touched.
 *
 * @param command PID 1's argv; empty means {@code /sbin/init}
 */
public record CreateSpec(
    String name, String image, InitKind init, List<String> command, Map<String, String> env, Limits limits) {

  public CreateSpec {
    String problem = Names.problem("container", name);
    if (problem != null) {
      throw AgentException.invalid(problem);
    }
    if (image == null || image.isBlank()) {
      throw AgentException.invalid("container " + name + ": an image is required");
    }
    Objects.requireNonNull(init, "init");
    command = List.copyOf(command);
    env = Map.copyOf(env);
    Objects.requireNonNull(limits, "limits");
  }
}
