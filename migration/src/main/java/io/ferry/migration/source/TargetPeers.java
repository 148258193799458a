package io.ferry.migration.source;

/** Opens the connection to a migration's target agent (plaintext or mTLS: the agent decides). */
@FunctionalInterface
public interface TargetPeers {
  TargetPeer open(String address, String migrationId, String token);
}
