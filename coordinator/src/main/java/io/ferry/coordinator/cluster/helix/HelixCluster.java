package io.ferry.coordinator.cluster.helix;

import io.ferry.coordinator.cluster.ClusterUnavailableException;
import io.ferry.coordinator.cluster.Leadership;
import io.ferry.coordinator.cluster.Membership;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A coordinator's view of the cluster through Helix, in one start/close: makes sure the Helix
 * cluster exists ({@link HelixClusterSetup}), follows its hosts ({@link HelixMembership}) and
 * joins the leader election ({@link HelixLeadership}). Two ZooKeeper sessions, both with the
 * given timeout.
 *
 * <p>Lifecycle: {@link #start} once, {@link #close()} once. Closing gives leadership up first.
 */
public final class HelixCluster implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(HelixCluster.class);

  /** How long start() keeps trying to set the cluster up before giving up. */
  public static final Duration SETUP_TIMEOUT = Duration.ofSeconds(60);

  private final HelixMembership membership;
  private final HelixLeadership leadership;

  private HelixCluster(HelixMembership membership, HelixLeadership leadership) {
    this.membership = membership;
    this.leadership = leadership;
  }

  /**
   * Sets the cluster up if needed, then starts membership and leadership. Returns before this
   * coordinator necessarily leads: watch {@link #leadership()}.
   *
   * @param connectString the ZooKeeper ensemble
   * @param ferryCluster the Ferry cluster's name ({@code cluster.name})
   * @param coordinatorId this coordinator's id ({@code coordinator.id}), its name in the election
   * @param sessionTimeout ZooKeeper session timeout ({@code zookeeper.session-timeout})
   * @param rebalanceDelay Helix's delayed-rebalance window ({@code cluster.rebalance.delay})
   * @throws ClusterUnavailableException when ZooKeeper cannot be reached or the cluster cannot be
   *     set up within {@link #SETUP_TIMEOUT}
   */
  public static HelixCluster start(
      String connectString, String ferryCluster, String coordinatorId, Duration sessionTimeout, Duration rebalanceDelay)
      throws InterruptedException {
    new HelixClusterSetup(connectString, ferryCluster, sessionTimeout, rebalanceDelay).ensure(SETUP_TIMEOUT);
    HelixMembership membership = null;
    try {
      membership = HelixMembership.start(connectString, ferryCluster, coordinatorId, sessionTimeout);
      HelixLeadership leadership = HelixLeadership.start(connectString, ferryCluster, coordinatorId, sessionTimeout);
      return new HelixCluster(membership, leadership);
    } catch (InterruptedException e) {
      closeQuietly(membership);
      throw e;
    } catch (Exception e) {
      closeQuietly(membership);
      throw new ClusterUnavailableException("cannot join cluster " + ferryCluster + " through Helix: " + e.getMessage(), e);
    }
  }

  public Leadership leadership() {
    return leadership;
  }

  public Membership membership() {
    return membership;
  }

  @Override
  public void close() {
    leadership.close();
    membership.close();
  }

  private static void closeQuietly(HelixMembership membership) {
    if (membership != null) {
      try {
        membership.close();
      } catch (RuntimeException e) {
        log.debug("closing membership: {}", e.toString());
      }
    }
  }
}
