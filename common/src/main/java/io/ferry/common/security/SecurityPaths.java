package io.ferry.common.security;

import io.ferry.common.Names;

/**
 * The ZooKeeper paths of security records that both coordinators and agents read. The
 * coordinator's own paths are built by its {@code ClusterPaths}, which delegates here for these.
 */
public final class SecurityPaths {

  private SecurityPaths() {}

  /** The cluster's revocation list ({@link RevocationList} text): {@code /ferry/<cluster>/security/revocations}. */
  public static String revocations(String cluster) {
    return "/ferry/" + Names.require("cluster", cluster) + "/security/revocations";
  }
}
