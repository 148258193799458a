package io.ferry.common.cluster;

import io.ferry.common.net.Ipv4Cidr;
import java.util.Objects;

/**
 * The container network of a host, as its agent registers it: the subnet its bridge serves, and
 * where the host ends its VXLAN overlay (its underlay address), when the overlay is on.
 *
 * <p>Coordinators place containers only on hosts whose subnet is the cluster's (the coordinator
 * hands out cluster-wide addresses from it); agents add each other's overlay addresses to their
 * overlay's flood list. Both values come from the agent's configuration, never from probing.
 *
 * @param subnet the container subnet in canonical CIDR form, e.g. {@code 10.100.0.0/16}
 * @param overlayAddress the host's VXLAN underlay IPv4 address, e.g. {@code 10.77.0.11}; empty when
 *     the host runs no overlay
 */
public record HostNetwork(String subnet, String overlayAddress) {

  /** @throws IllegalArgumentException saying which value is malformed */
  public HostNetwork {
    Objects.requireNonNull(subnet, "subnet");
    Ipv4Cidr parsed = Ipv4Cidr.parse(subnet);
    subnet = parsed.toString();
    overlayAddress = overlayAddress == null ? "" : overlayAddress;
    if (!overlayAddress.isEmpty() && !Ipv4Cidr.isAddress(overlayAddress)) {
      throw new IllegalArgumentException("overlay address '" + overlayAddress + "' is not an IPv4 address");
    }
  }

  /** True when the host runs the VXLAN overlay. */
  public boolean hasOverlay() {
    return !overlayAddress.isEmpty();
  }
}
