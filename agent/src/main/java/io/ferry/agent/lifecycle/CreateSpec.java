package io.ferry.agent.lifecycle;

import io.ferry.agent.AgentException;
import io.ferry.agent.network.AssignedIdentity;
import io.ferry.agent.runtime.InitKind;
import io.ferry.agent.runtime.Limits;
import io.ferry.common.Names;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a caller asks for when creating a container. Validated on construction: a bad name or an
 * empty image is an INVALID_ARGUMENT before anything is touched.
 *
 * @param command PID 1's argv; empty means {@code /sbin/init}
 * @param network the network identity to give the container (the coordinator's cluster-wide
 *     allocation); empty: the host leases one from its own subnet
 * @param ha a high-availability container: this host stops it when cut off from the cluster
 *     ({@code SessionFence}), because the cluster restarts it elsewhere
 */
public record CreateSpec(
    String name,
    String image,
    InitKind init,
    List<String> command,
    Map<String, String> env,
    Limits limits,
    Optional<AssignedIdentity> network,
    boolean ha) {

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
    network = network == null ? Optional.empty() : network;
  }

  /** A spec whose network identity the host leases itself, not HA. */
  public CreateSpec(String name, String image, InitKind init, List<String> command, Map<String, String> env, Limits limits) {
    this(name, image, init, command, env, limits, Optional.empty(), false);
  }
}
