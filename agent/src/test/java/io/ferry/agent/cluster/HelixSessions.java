package io.ferry.agent.cluster;

import java.lang.reflect.Field;
import org.apache.helix.HelixManager;
import org.apache.helix.manager.zk.ZKHelixManager;
import org.apache.helix.zookeeper.zkclient.ZkClient;
import org.apache.helix.zookeeper.zkclient.ZkConnection;
import org.apache.zookeeper.ZooKeeper;

/** Fault injection for tests: Helix keeps its ZooKeeper handle private, so reach it by reflection. */
final class HelixSessions {

  private HelixSessions() {}

  /**
   * Makes the manager's client see its session expire now, as after a long partition. The server
   * still holds the old session (and its ephemeral nodes) until its timeout passes, as it would
   * for a crashed process.
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
