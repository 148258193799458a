package io.ferry.coordinator.cluster;

import java.util.Optional;

/** TEMPORARY placeholder; replaced by the helix branch's version on merge. */
public interface Leadership extends AutoCloseable {
  boolean isLeader();

  Optional<String> leaderId();

  void addListener(LeadershipListener listener);
}
