package io.ferry.coordinator.cluster;

/** TEMPORARY placeholder; replaced by the helix branch's version on merge. */
public interface LeadershipListener {
  void leadershipGained();

  void leadershipLost();
}
