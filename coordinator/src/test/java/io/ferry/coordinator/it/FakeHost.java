package io.ferry.coordinator.it;

import io.ferry.common.cluster.HelixNames;
import io.ferry.common.cluster.HostRegistration;
import java.util.List;
import java.util.Map;
import org.apache.helix.HelixManager;
import org.apache.helix.HelixManagerFactory;
import org.apache.helix.InstanceType;
import org.apache.helix.manager.zk.ZKHelixAdmin;
import org.apache.helix.model.InstanceConfig;

/**
 * A simulated host for the coordinator's tests: a {@link FakeAgent} serving the agent API, joined
 * to the cluster as a Helix participant with its registration, the way a real agent joins.
 */
final class FakeHost implements AutoCloseable {

  final FakeAgent agent;
  private HelixManager participant;

  private FakeHost(FakeAgent agent, HelixManager participant) {
    this.agent = agent;
    this.participant = participant;
  }

  static FakeHost join(String zookeeper, String cluster, String host, long cpuMillis, long memoryBytes, Map<String, String> labels, List<String> images) throws Exception {
    FakeAgent agent = new FakeAgent(host, images).start();
    HostRegistration registration = new HostRegistration(host, agent.address(), cpuMillis, memoryBytes, 100L << 30, labels, "test");
    String helixCluster = HelixNames.clusterName(cluster);
    ZKHelixAdmin admin = new ZKHelixAdmin(zookeeper);
    try {
      InstanceConfig config = new InstanceConfig(host);
      config.getRecord().getSimpleFields().putAll(registration.simpleFields());
      config.getRecord().getMapFields().putAll(registration.mapFields());
      admin.addInstance(helixCluster, config);
    } finally {
      admin.close();
    }
    HelixManager participant = HelixManagerFactory.getZKHelixManager(helixCluster, host, InstanceType.PARTICIPANT, zookeeper);
    participant.connect();
    return new FakeHost(agent, participant);
  }

  /** Leaves the cluster as a dead host would: its live instance disappears. */
  void disconnect() {
    participant.disconnect();
  }

  /** Comes back after {@link #disconnect()}, as a restarted agent does: a new session, same name. */
  void rejoin() throws Exception {
    participant = HelixManagerFactory.getZKHelixManager(participant.getClusterName(), participant.getInstanceName(),
        InstanceType.PARTICIPANT, participant.getMetadataStoreConnectionString());
    participant.connect();
  }

  @Override
  public void close() {
    if (participant.isConnected()) {
      participant.disconnect();
    }
    agent.close();
  }
}
