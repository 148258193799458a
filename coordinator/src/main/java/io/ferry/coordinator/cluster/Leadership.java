package io.ferry.coordinator.cluster;

import java.util.Optional;

/**
 * Which coordinator leads the cluster. Exactly one coordinator leads while the coordinators can
 * reach ZooKeeper; the leader alone acts on the cluster (placement, recovery, evacuation).
 *
 * <p>Safety over liveness: a coordinator reports itself leader only while it can prove it (its
 * ZooKeeper session is connected and owns the leader node). It reports not-leader as soon as its
 * connection is lost, before another coordinator can take over (which needs the session to expire
 * first), so two coordinators never both believe they lead. After a leader's crash, another leads
 * within the ZooKeeper session timeout plus a tick.
 *
 * <p>Thread-safe. Listeners are called on one thread dedicated to this leadership, never on a
 * ZooKeeper event thread, in order: gained and lost alternate for each listener.
 */
public interface Leadership extends AutoCloseable {

  /** True while this coordinator leads and can prove it; cheap (no I/O). */
  boolean isLeader();

  /**
   * The id of the coordinator that leads, as last seen; empty while no coordinator leads or while
   * this one cannot tell (disconnected). For "not the leader" answers that point to the leader.
   */
  Optional<String> leaderId();

  /**
   * Adds a listener. If this coordinator leads when the listener is added, the listener is told
   * {@link LeadershipListener#leadershipGained()} at once (on the leadership thread).
   */
  void addListener(LeadershipListener listener);

  /**
   * Gives leadership up (listeners are told {@link LeadershipListener#leadershipLost()} first, so
   * leader work stops before another coordinator can start it) and leaves the election.
   * Idempotent; never throws.
   */
  @Override
  void close();
}
