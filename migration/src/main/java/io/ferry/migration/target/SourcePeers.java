package io.ferry.migration.target;

/** Opens the connection to a migration's source agent. */
@FunctionalInterface
public interface SourcePeers {
  SourcePeer open(String address, String migrationId, String token);
}
