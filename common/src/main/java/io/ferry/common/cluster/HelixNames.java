package io.ferry.common.cluster;

import io.ferry.common.Names;

/**
 * How Ferry's names map onto Helix's, agreed by the agent (a participant) and the coordinator
 * (controller and spectator) without either depending on the other.
 */
public final class HelixNames {

  /** Prefix of every Helix cluster Ferry creates, so Ferry's clusters stand out in ZooKeeper. */
  public static final String CLUSTER_PREFIX = "ferry-";

  private HelixNames() {}

  /**
   * The Helix cluster (the ZooKeeper root {@code /ferry-<cluster>}) of Ferry cluster {@code
   * ferryCluster}.
   *
   * @throws IllegalArgumentException when {@code ferryCluster} is not a DNS label
   */
  public static String clusterName(String ferryCluster) {
    return CLUSTER_PREFIX + Names.require("cluster", ferryCluster);
  }
}
