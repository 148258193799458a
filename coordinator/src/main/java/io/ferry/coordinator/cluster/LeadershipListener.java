package io.ferry.coordinator.cluster;

/**
 * Told when this coordinator starts and stops leading. Both methods run on the leadership's own
 * thread; they should return quickly (hand long work to an executor of their own), since the next
 * change waits for them. An exception thrown is logged and otherwise ignored.
 */
public interface LeadershipListener {

  /** This coordinator now leads: start leader work. */
  void leadershipGained();

  /** This coordinator no longer leads (or cannot prove it does): stop leader work at once. */
  void leadershipLost();
}
