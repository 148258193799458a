package io.ferry.agent.network;

import java.time.Instant;
import java.util.Objects;

/**
 * A container's network identity on this host: its address in the agent's subnet and its MAC.
 * Held by {@link AddressAllocator} from {@code attach} until {@code detach}, persisted across agent
 * restarts, and carried along when a container migrates.
 *
 * @param container the container's name
 * @param address its IPv4 address, an assignable address of the subnet
 * @param mac its MAC, unicast
 * @param leasedAt when this host leased it
 */
public record Lease(String container, Ipv4Address address, MacAddress mac, Instant leasedAt) {

  public Lease {
    Objects.requireNonNull(container, "container");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(mac, "mac");
    Objects.requireNonNull(leasedAt, "leasedAt");
  }
}
