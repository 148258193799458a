package io.ferry.coordinator.network;

import io.ferry.common.config.ConfigException;
import io.ferry.common.net.Ipv4Cidr;
import io.ferry.coordinator.store.ClusterAddress;
import java.util.Objects;

/**
 * The cluster's container network ({@code network.subnet}): one subnet for every host, from which
 * the leader hands each container an address and a MAC it keeps wherever it runs. Every host's
 * bridge holds the subnet's first host address as the (anycast) gateway; agents must be configured
 * with the same subnet, or placement refuses them. Immutable; validated once, at start.
 *
 * <p>MACs are derived from addresses ({@link #macFor}): {@code 0a:58} followed by the four octets
 * of the address, locally administered and unicast. Addresses are unique in the cluster, so MACs
 * are too, with no index of their own; they cannot collide with what agents derive for themselves
 * (those start with {@code 02}).
 *
 * @param subnet the cluster subnet, /16 to /29 (as the agents accept)
 */
public record ClusterNetwork(Ipv4Cidr subnet) {

  public static final String KEY_SUBNET = "network.subnet";
  public static final String DEFAULT_SUBNET = "10.100.0.0/16";
  public static final int MIN_PREFIX_LENGTH = 16;
  public static final int MAX_PREFIX_LENGTH = 29;

  public ClusterNetwork {
    Objects.requireNonNull(subnet, "subnet");
    if (subnet.prefixLength() < MIN_PREFIX_LENGTH || subnet.prefixLength() > MAX_PREFIX_LENGTH) {
      throw new ConfigException(
          KEY_SUBNET,
          KEY_SUBNET + " " + subnet + ": prefix length must be /" + MIN_PREFIX_LENGTH + " to /" + MAX_PREFIX_LENGTH);
    }
  }

  /**
   * Parses {@code network.subnet}.
   *
   * @throws ConfigException naming the key when the value is not CIDR or out of range
   */
  public static ClusterNetwork parse(String cidr) {
    try {
      return new ClusterNetwork(Ipv4Cidr.parse(cidr));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(KEY_SUBNET, KEY_SUBNET + ": " + e.getMessage());
    }
  }

  public static ClusterNetwork defaults() {
    return parse(DEFAULT_SUBNET);
  }

  /** The gateway every host's bridge holds: the subnet's first host address. */
  public String gateway() {
    return Ipv4Cidr.format(subnet.gateway());
  }

  /** The identity of the container that gets {@code address}: address, derived MAC, prefix, gateway. */
  public ClusterAddress identity(int address) {
    if (!subnet.isAssignable(address)) {
      throw new IllegalArgumentException(Ipv4Cidr.format(address) + " is not an assignable address of " + subnet);
    }
    return new ClusterAddress(Ipv4Cidr.format(address), macFor(address), subnet.prefixLength(), gateway());
  }

  /** {@code 0a:58:} and the address's four octets in hex. */
  public static String macFor(int address) {
    return String.format(
        "0a:58:%02x:%02x:%02x:%02x", (address >>> 24) & 0xff, (address >>> 16) & 0xff, (address >>> 8) & 0xff, address & 0xff);
  }

  /** Whether a host registering {@code hostSubnet} serves this network. */
  public boolean servedBy(String hostSubnet) {
    return subnet.toString().equals(hostSubnet);
  }

  @Override
  public String toString() {
    return subnet.toString();
  }
}
