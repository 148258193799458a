package io.ferry.agent.lifecycle;

import io.ferry.agent.runtime.InitKind;
import io.ferry.agent.runtime.Limits;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What the agent remembers of one container, persisted in its {@code container.json} so a
 * restarted agent finds it again. Immutable: each change makes a new record.
 *
 * @param name the container's name (a DNS label), unique on the host
 * @param image the image reference given at creation (alias or digest)
 * @param imageDigest the SHA-256 of the image its rootfs was made from
 * @param init how PID 1 behaves (systemd or generic)
 * @param command PID 1's argv; empty means {@code /sbin/init}
 * @param env extra environment of PID 1
 * @param limits the limits asked for (the cgroup holds the truth while running)
 * @param status where it is in its life ({@link ContainerLifecycle})
 * @param detail why it is in this status: exit reason, error, request
 * @param network its address and MAC on the host's bridge, or null before the first start
 * @param ha a high-availability container, which this host stops when cut off from the cluster
 *     (absent in records written before HA existed: false)
 */
public record ContainerRecord(
    String name,
    String image,
    String imageDigest,
    InitKind init,
    List<String> command,
    Map<String, String> env,
    Limits limits,
    ContainerStatus status,
    String detail,
    Instant createdAt,
    Instant stateSince,
    NetworkIdentity network,
    boolean ha) {

  /** A container's address and MAC, kept across restarts (and, later, across hosts). */
  public record NetworkIdentity(String address, int prefixLength, String gateway, String mac) {}

  public ContainerRecord {
    command = List.copyOf(command);
    env = Map.copyOf(env);
  }

  public ContainerRecord withStatus(ContainerStatus newStatus, String newDetail, Instant at) {
    return new ContainerRecord(
        name, image, imageDigest, init, command, env, limits, newStatus, newDetail, at, at, network, ha)
        .withCreatedAt(createdAt);
  }

  public ContainerRecord withLimits(Limits newLimits) {
    return new ContainerRecord(
        name, image, imageDigest, init, command, env, newLimits, status, detail, createdAt, stateSince, network, ha);
  }

  public ContainerRecord withNetwork(NetworkIdentity newNetwork) {
    return new ContainerRecord(
        name, image, imageDigest, init, command, env, limits, status, detail, createdAt, stateSince, newNetwork, ha);
  }

  /**
   * A copy for a new container {@code newName}: same image, spec and limits, stopped, no network
   * yet, not HA (a copy is a new container; the cluster decides whether it gets a standby).
   */
  public ContainerRecord copyAs(String newName, Instant at) {
    return new ContainerRecord(
        newName, image, imageDigest, init, command, env, limits, ContainerStatus.STOPPED, "copied from " + name, at, at, null, false);
  }

  private ContainerRecord withCreatedAt(Instant created) {
    return new ContainerRecord(
        name, image, imageDigest, init, command, env, limits, status, detail, created, stateSince, network, ha);
  }
}
