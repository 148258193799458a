package io.ferry.agent.network;

import java.util.Optional;

/**
 * What {@code ip -d link show} says about a VXLAN interface, reduced to what the overlay checks.
 *
 * @param name the interface name
 * @param vni its VXLAN network identifier
 * @param local the tunnels' source address, empty when none is set
 * @param port the UDP destination port
 * @param mtu its MTU
 * @param up whether it is administratively up
 * @param master the bridge it is enslaved to, empty when none
 */
public record VxlanLink(String name, int vni, Optional<Ipv4Address> local, int port, int mtu, boolean up, String master) {

  public VxlanLink {
    local = local == null ? Optional.empty() : local;
    master = master == null ? "" : master;
  }
}
