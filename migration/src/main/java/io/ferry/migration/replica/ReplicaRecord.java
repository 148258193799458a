package io.ferry.migration.replica;

import java.time.Instant;

/**
 * What a standby host knows of one replica, persisted as {@code <replicas>/<container>/replica.json}
 * (mode 0600: it holds the token). Writing a new record is the commit point of a pass: the record
 * names the generation whose tree ({@code gen-<generation>/}) is the last complete pass.
 *
 * @param container the container's name (also the directory's)
 * @param spec the bytes of its {@code ferry.v1.ContainerSpec}
 * @param imageDigest the image its rootfs is made from
 * @param sourceHost the primary's host name: the only identity that may send passes
 * @param sourceAddress the primary's gRPC address (image fetches)
 * @param token the replica's shared secret, checked on every pass
 * @param generation the last complete pass (1 for the first); 0 before any
 * @param lastPassAt when that pass was recorded; null before any
 * @param bytes the regular-file bytes of that pass's tree
 */
public record ReplicaRecord(
    String container, byte[] spec, String imageDigest, String sourceHost, String sourceAddress, String token, long generation,
    Instant lastPassAt, long bytes) {

  /** A complete pass exists: it can be promoted. */
  public boolean promotable() {
    return generation > 0;
  }

  ReplicaRecord withSource(byte[] newSpec, String newDigest, String newSourceHost, String newSourceAddress, String newToken) {
    return new ReplicaRecord(container, newSpec, newDigest, newSourceHost, newSourceAddress, newToken, generation, lastPassAt, bytes);
  }

  ReplicaRecord withPass(long newGeneration, Instant at, long treeBytes) {
    return new ReplicaRecord(container, spec, imageDigest, sourceHost, sourceAddress, token, newGeneration, at, treeBytes);
  }

  /** No complete pass any more (its tree was lost): the next pass must be full. */
  ReplicaRecord withoutPass() {
    return new ReplicaRecord(container, spec, imageDigest, sourceHost, sourceAddress, token, 0, null, 0);
  }

  @Override
  public String toString() {
    return "replica of " + container + " from " + sourceHost + " at generation " + generation;
  }
}
