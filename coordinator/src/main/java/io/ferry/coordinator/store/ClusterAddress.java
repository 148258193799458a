package io.ferry.coordinator.store;

import java.util.Objects;

/**
 * A container's network identity in the cluster, kept in its record wherever it runs: the address
 * the leader allocated from the cluster subnet, the MAC that goes with it, and the subnet's prefix
 * length and gateway (so an agent, or a migration, needs nothing else to plumb it). The address is
 * also the name of its unique index node ({@link ClusterPaths#address}).
 *
 * @param address dotted-quad IPv4 address
 * @param mac colon-separated MAC
 * @param prefixLength the cluster subnet's prefix length
 * @param gateway the cluster's gateway address
 */
public record ClusterAddress(String address, String mac, int prefixLength, String gateway) {

  public ClusterAddress {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(mac, "mac");
    Objects.requireNonNull(gateway, "gateway");
  }
}
