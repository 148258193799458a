package io.ferry.coordinator.store;

import java.util.Set;

/**
 * Where a launch gets its container's address from (the leader's {@code AddressPool}). The store
 * takes an address, writes it with the launch and its unique index node in one transaction, and
 * takes another when the index node turns out to exist (the source's view was stale).
 */
public interface AddressSource {

  /**
   * An address for a new container, not one of {@code taken} (found held in ZooKeeper during this
   * launch); held for this launch until {@link #giveBack}.
   *
   * @throws RuntimeException when none is free (the source says why, e.g. RESOURCE_EXHAUSTED)
   */
  ClusterAddress take(Set<String> taken);

  /** The launch that took {@code address} is over, recorded or not. */
  void giveBack(ClusterAddress address);
}
