package io.ferry.agent.cluster;

import io.ferry.common.config.ScopedSystemProperty;
import java.time.Duration;
import org.apache.helix.HelixManager;
import org.apache.helix.InstanceType;
import org.apache.helix.SystemPropertyKeys;
import org.apache.helix.manager.zk.HelixManagerStateListener;
import org.apache.helix.manager.zk.ZKHelixManager;
import org.apache.helix.zookeeper.api.client.RealmAwareZkClient;
import org.apache.helix.zookeeper.datamodel.serializer.ZNRecordSerializer;
import org.apache.helix.zookeeper.impl.client.ZkClient;

/**
 * Builds Helix clients with Ferry's ZooKeeper session timeout instead of Helix's 30 s default.
 *
 * <p>Why a system property: Helix 2.0.1's {@code ZKHelixManager} reads its session timeout only
 * from {@code zk.session.timeout}, once, in its constructor. The API route (a {@code
 * RealmAwareZkConnectionConfig} in a {@code HelixManagerProperty}) is refused together with a
 * ZooKeeper address and otherwise needs multi-realm routing data, which Ferry does not run. So the
 * property is set around the constructor only, under {@link ScopedSystemProperty}'s JVM-wide lock,
 * which lets managers with different timeouts live in one JVM (the benchmark's simulated agents).
 * The constructor itself connects to ZooKeeper briefly (Helix reads the cluster's cloud config),
 * so it can block until ZooKeeper answers or Helix's connection timeout passes.
 */
final class HelixParticipants {

  private HelixParticipants() {}

  /** A PARTICIPANT manager, not yet connected. */
  static HelixManager participant(
      String connectString,
      String helixCluster,
      String instanceName,
      Duration sessionTimeout,
      HelixManagerStateListener stateListener) {
    return ScopedSystemProperty.with(
        SystemPropertyKeys.ZK_SESSION_TIMEOUT,
        Long.toString(sessionTimeout.toMillis()),
        () -> new ZKHelixManager(helixCluster, instanceName, InstanceType.PARTICIPANT, connectString, stateListener));
  }

  /**
   * A ZooKeeper client of this process's own (not shared), for reading and writing the cluster's
   * configuration. Blocks until connected, at most {@code connectTimeout}.
   *
   * @throws org.apache.helix.zookeeper.zkclient.exception.ZkTimeoutException when ZooKeeper does
   *     not answer in time
   */
  static RealmAwareZkClient adminClient(String connectString, Duration sessionTimeout, Duration connectTimeout) {
    return new ZkClient.Builder()
        .setZkServer(connectString)
        .setSessionTimeout(Math.toIntExact(sessionTimeout.toMillis()))
        .setConnectionTimeout(Math.toIntExact(connectTimeout.toMillis()))
        .setOperationRetryTimeout(connectTimeout.toMillis())
        .setZkSerializer(new ZNRecordSerializer())
        .build();
  }
}
