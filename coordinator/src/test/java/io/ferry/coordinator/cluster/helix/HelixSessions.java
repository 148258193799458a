package io.ferry.coordinator.cluster.helix;

import io.ferry.coordinator.it.TestZooKeeper;
import io.ferry.coordinator.store.EmbeddedZooKeeper;
import java.io.File;
import java.lang.reflect.Field;
import java.time.Duration;
import org.apache.helix.HelixManager;
import org.apache.helix.manager.zk.ZKHelixManager;
import org.apache.helix.zookeeper.zkclient.ZkClient;
import org.apache.helix.zookeeper.zkclient.ZkConnection;
import org.apache.zookeeper.ZooKeeper;

/** Test fixtures: a real ZooKeeper server, and session expiry injected into a Helix manager. */
final class HelixSessions {

  /** The test server's tick: it accepts sessions from 2 to 20 ticks, 1 s to 10 s. */
  static final int TICK_MS = 500;

  private HelixSessions() {}

  /** A TLS-only server as a cluster runs it ({@link TestZooKeeper}). */
  static EmbeddedZooKeeper zooKeeper(File dataDir) throws Exception {
    return TestZooKeeper.start(dataDir.toPath(), Duration.ofMillis(TICK_MS));
  }

  /**
   * Makes the manager's client see its session expire now, as after a long partition; Helix
   * keeps its ZooKeeper handle private, so it is reached by reflection. The server still holds
   * the old session (and its ephemeral nodes) until the session timeout passes, as it would for
   * a crashed process.
   */
  static void expire(HelixManager manager) throws ReflectiveOperationException {
    zooKeeperOf(manager).getTestable().injectSessionExpiration();
  }

  /** The session timeout the server granted the manager's current session. */
  static int negotiatedSessionTimeoutMs(HelixManager manager) throws ReflectiveOperationException {
    return zooKeeperOf(manager).getSessionTimeout();
  }

  private static ZooKeeper zooKeeperOf(HelixManager manager) throws ReflectiveOperationException {
    Field field = ZKHelixManager.class.getDeclaredField("_zkclient");
    field.setAccessible(true);
    ZkClient client = (ZkClient) field.get(manager);
    return ((ZkConnection) client.getConnection()).getZookeeper();
  }
}
