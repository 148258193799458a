package io.ferry.coordinator.cluster.helix;

import io.ferry.common.cluster.HelixNames;
import io.ferry.common.security.zookeeper.ZooKeeperAcls;
import io.ferry.common.security.zookeeper.ZooKeeperTls;
import io.ferry.coordinator.cluster.ClusterUnavailableException;
import io.ferry.coordinator.store.ClusterPaths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.helix.ConfigAccessor;
import org.apache.helix.PropertyPathBuilder;
import org.apache.helix.manager.zk.ZKHelixAdmin;
import org.apache.helix.manager.zk.ZKUtil;
import org.apache.helix.model.ClusterConfig;
import org.apache.helix.tools.ClusterSetup;
import org.apache.helix.zookeeper.impl.client.ZkClient;
import org.apache.helix.zookeeper.zkclient.ZkConnection;
import org.apache.helix.zookeeper.zkclient.exception.ZkNodeExistsException;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the Helix cluster of a Ferry cluster ({@link HelixNames#clusterName}) when it does not
 * exist yet, with Helix's built-in state model definitions, and sets delayed rebalance on it so
 * that a restarting agent moves nothing.
 *
 * <p>Idempotent and safe for coordinators starting together: Helix's cluster creation is a series
 * of separate writes that fail half-way when two processes interleave, so the creation runs under
 * an ephemeral lock node ({@link ClusterPaths#helixSetupLock()}), retried with backoff until a
 * deadline. An existing cluster is never overwritten (note that {@code ClusterSetup.addCluster(name,
 * true)} would delete it: its flag means "recreate"), except one left half-created and empty by a
 * coordinator that died while creating it. The rebalance delay is this coordinator's setting: it
 * replaces a different one found in the cluster.
 */
public final class HelixClusterSetup {

  private static final Logger log = LoggerFactory.getLogger(HelixClusterSetup.class);

  public static final Duration DEFAULT_REBALANCE_DELAY = Duration.ofSeconds(30);

  private static final long FIRST_RETRY_MS = 100;
  private static final long MAX_RETRY_MS = 2_000;

  private final String connectString;
  private final String ferryCluster;
  private final String helixCluster;
  private final Duration sessionTimeout;
  private final Duration rebalanceDelay;

  /**
   * @param rebalanceDelay how long Helix waits after a host disappears before it moves what the
   *     host held; zero or more
   */
  public HelixClusterSetup(String connectString, String ferryCluster, Duration sessionTimeout, Duration rebalanceDelay) {
    if (rebalanceDelay.isNegative()) {
      throw new IllegalArgumentException("the rebalance delay cannot be negative: " + rebalanceDelay);
    }
    this.connectString = connectString;
    this.ferryCluster = ferryCluster;
    this.helixCluster = HelixNames.clusterName(ferryCluster);
    this.sessionTimeout = sessionTimeout;
    this.rebalanceDelay = rebalanceDelay;
  }

  /** The Helix cluster's name. */
  public String helixCluster() {
    return helixCluster;
  }

  /**
   * Makes sure the cluster exists and is configured; returns when it is.
   *
   * @param timeout how long to keep trying (ZooKeeper unreachable, another coordinator holding the
   *     lock)
   * @throws ClusterUnavailableException when it could not be done in time, or the cluster is
   *     damaged (half-created but holding data), with the last error as cause
   */
  public void ensure(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long retryMs = FIRST_RETRY_MS;
    RuntimeException lastError = null;
    ZkClient zk = null;
    try {
      while (true) {
        try {
          if (zk == null) {
            zk = HelixClients.adminClient(connectString, sessionTimeout, connectTimeout(deadline));
          }
          if (lockAndSetUp(zk)) {
            return;
          }
          lastError = new ClusterUnavailableException("another coordinator is setting up " + helixCluster);
        } catch (ClusterUnavailableException e) {
          throw e;
        } catch (RuntimeException e) {
          lastError = e;
          log.info("cluster {}: setup failed, retrying: {}", helixCluster, e.toString());
          if (zk != null) {
            zk.close();
            zk = null;
          }
        }
        if (System.nanoTime() - deadline > 0) {
          throw new ClusterUnavailableException(
              "cannot set up Helix cluster " + helixCluster + " within " + timeout.toMillis() + " ms", lastError);
        }
        Thread.sleep(retryMs + ThreadLocalRandom.current().nextLong(retryMs / 2 + 1));
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      }
    } finally {
      if (zk != null) {
        zk.close();
      }
    }
  }

  /** False when another coordinator holds the lock. */
  private boolean lockAndSetUp(ZkClient zk) {
    String lock = new ClusterPaths(ferryCluster).helixSetupLock();
    zk.createPersistent(lock.substring(0, lock.lastIndexOf('/')), true);
    try {
      zk.createEphemeral(lock);
    } catch (ZkNodeExistsException e) {
      return false;
    }
    try {
      createIfMissing(zk);
      configureRebalance(zk);
      lockDown(zk);
      return true;
    } finally {
      zk.delete(lock);
    }
  }

  @SuppressWarnings("deprecation") // the constructors taking our own client are the ones we need
  private void createIfMissing(ZkClient zk) {
    if (zk.exists("/" + helixCluster) && !ZKUtil.isClusterSetup(helixCluster, zk)) {
      // Nobody else is creating it (we hold the lock): a creator died half-way.
      if (holdsData(zk)) {
        throw new ClusterUnavailableException(
            "Helix cluster " + helixCluster + " is incomplete but holds instances or resources: repair it by hand");
      }
      log.warn("cluster {}: found half-created and empty, creating it anew", helixCluster);
      new ZKHelixAdmin(zk).addCluster(helixCluster, true);
    }
    boolean existed = zk.exists("/" + helixCluster);
    new ClusterSetup(zk).addCluster(helixCluster, false);
    if (!existed) {
      log.info("cluster {}: created Helix cluster with its state model definitions", helixCluster);
    }
  }

  private boolean holdsData(ZkClient zk) {
    for (String path : List.of(PropertyPathBuilder.instanceConfig(helixCluster), PropertyPathBuilder.idealState(helixCluster))) {
      if (zk.exists(path) && !zk.getChildren(path).isEmpty()) {
        return true;
      }
    }
    return false;
  }

  @SuppressWarnings("deprecation")
  private void configureRebalance(ZkClient zk) {
    ConfigAccessor configs = new ConfigAccessor(zk);
    ClusterConfig config = configs.getClusterConfig(helixCluster);
    long delayMs = rebalanceDelay.toMillis();
    if (!config.isDelayRebalaceEnabled() || config.getRebalanceDelayTime() != delayMs) {
      config.setDelayRebalaceEnabled(true); // sic: Helix's spelling
      config.setRebalanceDelayTime(delayMs);
      configs.setClusterConfig(helixCluster, config);
      log.info("cluster {}: delayed rebalance on, delay {} ms", helixCluster, delayMs);
    }
  }

  /**
   * With ZooKeeper TLS on, grants the Helix cluster's node and its top-level nodes to the
   * cluster's hosts only ({@link ZooKeeperAcls#HOSTS_ONLY}): nobody else can add or remove Helix's
   * records (instances, ideal states, messages) under them. Helix creates the records themselves
   * open; on Ferry's ZooKeeper only hosts get a session at all.
   */
  private void lockDown(ZkClient zk) {
    if (!ZooKeeperTls.installed()) {
      return;
    }
    String root = "/" + helixCluster;
    List<String> paths = new ArrayList<>();
    paths.add(root);
    zk.getChildren(root).forEach(child -> paths.add(root + "/" + child));
    ZooKeeper raw = ((ZkConnection) zk.getConnection()).getZookeeper();
    int changed = 0;
    for (String path : paths) {
      try {
        if (!ZooKeeperAcls.locked(raw.getACL(path, null))) {
          raw.setACL(path, ZooKeeperAcls.HOSTS_ONLY, -1);
          changed++;
        }
      } catch (KeeperException.NoNodeException e) {
        // Gone meanwhile: nothing to lock.
      } catch (KeeperException e) {
        throw new ClusterUnavailableException("cannot set the ACL of " + path + ": " + e.getMessage(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ClusterUnavailableException("interrupted while setting the ACL of " + path, e);
      }
    }
    if (changed > 0) {
      log.info("cluster {}: {} Helix node(s) granted to the cluster's hosts only", helixCluster, changed);
    }
  }

  /** Twice the session timeout, at least 5 s, but not past the deadline (and at least 1 s). */
  private Duration connectTimeout(long deadline) {
    long twice = Math.max(5_000, sessionTimeout.toMillis() * 2);
    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    return Duration.ofMillis(Math.max(1_000, Math.min(twice, left)));
  }
}
