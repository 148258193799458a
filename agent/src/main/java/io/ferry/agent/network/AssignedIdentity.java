package io.ferry.agent.network;

import java.util.Objects;
import java.util.Optional;

/**
 * A container's network identity given from outside the host: the address and MAC the
 * coordinator allocated cluster-wide (or that a container migrating in keeps), with the prefix
 * length and gateway the giver expects the host to have. The host's bridge, prefix length and
 * gateway stay the host's own; a host whose subnet is not the one expected refuses the identity.
 *
 * @param address the container's address, an assignable address of the host's subnet
 * @param mac its MAC, unicast
 * @param prefixLength the subnet's prefix length the giver expects; 0 for any
 * @param gateway the gateway the giver expects; empty for any
 */
public record AssignedIdentity(Ipv4Address address, MacAddress mac, int prefixLength, Optional<Ipv4Address> gateway) {

  public AssignedIdentity {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(mac, "mac");
    if (prefixLength < 0 || prefixLength > 32) {
      throw new IllegalArgumentException("prefix length /" + prefixLength + " is not in /0../32");
    }
    gateway = gateway == null ? Optional.empty() : gateway;
  }

  /** An identity that expects nothing of the host's subnet beyond holding the address. */
  public AssignedIdentity(Ipv4Address address, MacAddress mac) {
    this(address, mac, 0, Optional.empty());
  }

  /** Whether a host with {@code config} can give this identity: same prefix length and gateway when expected. */
  public boolean fits(NetworkConfig config) {
    return (prefixLength == 0 || prefixLength == config.subnet().prefixLength())
        && gateway.map(g -> g.equals(config.gateway())).orElse(true);
  }
}
