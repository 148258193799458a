package io.ferry.coordinator.cluster.helix;

import io.ferry.common.config.ScopedSystemProperty;
import java.time.Duration;
import org.apache.helix.HelixManager;
import org.apache.helix.InstanceType;
import org.apache.helix.SystemPropertyKeys;
import org.apache.helix.manager.zk.ZKHelixManager;
import org.apache.helix.zookeeper.datamodel.serializer.ZNRecordSerializer;
import org.apache.helix.zookeeper.impl.client.ZkClient;

/**
 * Builds Helix clients with Ferry's ZooKeeper session timeout instead of Helix's 30 s default.
 *
 * <p>Why a system property: Helix 2.0.1's {@code ZKHelixManager} reads its session timeout only
 * from {@code zk.session.timeout}, once, in its constructor. The API route (a {@code
 * RealmAwareZkConnectionConfig} in a {@code HelixManagerProperty}) is refused together with a
 * ZooKeeper address and otherwise needs multi-realm routing data, which Ferry does not run. So the
 * property is set around the constructor only, under {@link ScopedSystemProperty}'s JVM-wide lock
 * (the agent's adapter takes the same lock). The constructor connects to ZooKeeper briefly (Helix
 * reads the cluster's cloud config), so it blocks until ZooKeeper answers or Helix's connection
 * timeout passes.
 */
final class HelixClients {

  private HelixClients() {}

  /** A manager of {@code type} (CONTROLLER or SPECTATOR), not yet connected. */
  static HelixManager manager(
      InstanceType type, String connectString, String helixCluster, String instanceName, Duration sessionTimeout) {
    return ScopedSystemProperty.with(
        SystemPropertyKeys.ZK_SESSION_TIMEOUT,
        Long.toString(sessionTimeout.toMillis()),
        () -> new ZKHelixManager(helixCluster, instanceName, type, connectString));
  }

  /**
   * A ZooKeeper client of its own (not shared: it may hold an ephemeral lock), storing Helix's
   * records. Blocks until connected, at most {@code connectTimeout}; operations give up after the
   * same time while disconnected.
   *
   * @throws org.apache.helix.zookeeper.zkclient.exception.ZkTimeoutException when ZooKeeper does
   *     not answer in time
   */
  static ZkClient adminClient(String connectString, Duration sessionTimeout, Duration connectTimeout) {
    return new ZkClient.Builder()
        .setZkServer(connectString)
        .setSessionTimeout(Math.toIntExact(sessionTimeout.toMillis()))
        .setConnectionTimeout(Math.toIntExact(connectTimeout.toMillis()))
        .setOperationRetryTimeout(connectTimeout.toMillis())
        .setZkSerializer(new ZNRecordSerializer())
        .build();
  }
}
