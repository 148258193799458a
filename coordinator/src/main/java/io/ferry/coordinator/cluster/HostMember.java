package io.ferry.coordinator.cluster;

import io.ferry.common.cluster.HostRegistration;

/** TEMPORARY placeholder; replaced by the helix branch's version on merge. */
public record HostMember(HostRegistration registration, boolean live, boolean enabled) {
  public String name() {
    return registration.hostName();
  }
}
