package io.ferry.coordinator.cluster;

import io.ferry.common.cluster.HostRegistration;
import java.util.Objects;

/**
 * One host of the cluster as coordinators see it.
 *
 * @param registration what the host's agent registered: address, capacity, labels, version
 * @param live whether the agent's session is alive now (false after a crash, once its ZooKeeper
 *     session expired, or after it left)
 * @param enabled whether the host takes containers: false once an operator disabled it or an
 *     evacuation started ({@link HostOperation})
 */
public record HostMember(HostRegistration registration, boolean live, boolean enabled) {

  public HostMember {
    Objects.requireNonNull(registration, "registration");
  }

  /** The host's name. */
  public String name() {
    return registration.hostName();
  }
}
