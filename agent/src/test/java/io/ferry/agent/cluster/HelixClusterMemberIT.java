package io.ferry.agent.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.common.cluster.HelixNames;
import io.ferry.common.cluster.HostRegistration;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.helix.ConfigAccessor;
import org.apache.helix.PropertyPathBuilder;
import org.apache.helix.constants.InstanceConstants.InstanceOperation;
import org.apache.helix.manager.zk.ZKHelixAdmin;
import org.apache.helix.model.ClusterConfig;
import org.apache.helix.model.InstanceConfig;
import org.apache.helix.tools.ClusterSetup;
import org.apache.helix.zookeeper.datamodel.ZNRecord;
import org.apache.helix.zookeeper.datamodel.serializer.ZNRecordSerializer;
import org.apache.helix.zookeeper.impl.client.ZkClient;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A host joining a real ZooKeeper + Helix cluster the way a coordinator creates it. */
class HelixClusterMemberIT {

  private static final Duration SESSION = Duration.ofSeconds(3);
  private static final String FERRY_CLUSTER = "test";
  private static final String CLUSTER = HelixNames.clusterName(FERRY_CLUSTER);

  @TempDir Path dir;
  private TestingServer zookeeper;
  private ZkClient zk;
  private final List<HelixClusterMember> members = new ArrayList<>();

  @BeforeEach
  void startZooKeeper() throws Exception {
    // tickTime 500 ms: the server accepts sessions from 1 s to 10 s.
    zookeeper = new TestingServer(new InstanceSpec(dir.resolve("zk").toFile(), -1, -1, -1, true, -1, 500, -1), true);
    zk = new ZkClient.Builder().setZkServer(connect()).setZkSerializer(new ZNRecordSerializer()).build();
  }

  @AfterEach
  void stop() throws Exception {
    members.forEach(HelixClusterMember::close);
    zk.close();
    zookeeper.close();
  }

  @Test
  void registersTheHostGoesLiveAndLeavesAtOnceOnClose() throws Exception {
    createCluster();
    HelixClusterMember member = member(host1("10.0.0.11:7701", Map.of("zone", "a", "ssd", "true")));

    member.join();

    await().atMost(Duration.ofSeconds(15)).until(member::isConnected);
    assertThat(member.state()).isEqualTo(MemberState.JOINED);
    assertThat(zk.exists(liveInstance("host-1"))).isTrue();
    assertThat(HelixSessions.negotiatedSessionTimeoutMs(member.manager())).as("not Helix's 30 s").isEqualTo(3000);
    InstanceConfig config = instanceConfig("host-1");
    assertThat(config.getRecord().getSimpleFields())
        .containsEntry("ferry.address", "10.0.0.11:7701")
        .containsEntry("ferry.cpu_millis", "4000")
        .containsEntry("ferry.memory_bytes", Long.toString(8L << 30))
        .containsEntry("ferry.disk_bytes", Long.toString(100L << 30))
        .containsEntry("ferry.agent_version", "0.1.0-test");
    assertThat(config.getRecord().getMapField("ferry.labels")).isEqualTo(Map.of("zone", "a", "ssd", "true"));
    assertThat(config.getInstanceEnabled()).isTrue();
    assertThat(HostRegistration.fromFields("host-1", config.getRecord().getSimpleFields(), config.getRecord().getMapFields()))
        .isEqualTo(host1("10.0.0.11:7701", Map.of("zone", "a", "ssd", "true")));

    member.close();

    assertThat(member.isConnected()).isFalse();
    await().atMost(Duration.ofSeconds(2)).until(() -> !zk.exists(liveInstance("host-1")));
    assertThat(zk.exists(PropertyPathBuilder.instanceConfig(CLUSTER, "host-1"))).as("registration kept").isTrue();
  }

  @Test
  void aMemberStartedBeforeTheClusterExistsJoinsOnceACoordinatorCreatesIt() {
    HelixClusterMember member = member(host1("10.0.0.11:7701", Map.of()));

    member.join();

    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
        .until(() -> member.state() == MemberState.WAITING_FOR_CLUSTER && !member.isConnected());
    createCluster();
    await().atMost(Duration.ofSeconds(15)).until(member::isConnected);
    assertThat(zk.exists(liveInstance("host-1"))).isTrue();
  }

  @Test
  void aReJoinReplacesTheFerryFieldsAndKeepsTheCoordinatorsInstanceOperation() {
    createCluster();
    HelixClusterMember first = member(host1("10.0.0.11:7701", Map.of("zone", "a", "ssd", "true")));
    first.join();
    await().atMost(Duration.ofSeconds(15)).until(first::isConnected);
    first.close();
    ZKHelixAdmin admin = new ZKHelixAdmin.Builder().setZkAddress(connect()).build();
    try {
      admin.setInstanceOperation(CLUSTER, "host-1", InstanceOperation.DISABLE, "maintenance");
    } finally {
      admin.close();
    }

    HelixClusterMember second = member(host1("10.0.0.12:7702", Map.of("zone", "b")));
    second.join();
    await().atMost(Duration.ofSeconds(15)).until(second::isConnected);

    InstanceConfig config = instanceConfig("host-1");
    assertThat(config.getRecord().getSimpleField("ferry.address")).isEqualTo("10.0.0.12:7702");
    assertThat(config.getRecord().getMapField("ferry.labels")).as("stale label gone").isEqualTo(Map.of("zone", "b"));
    assertThat(config.getInstanceOperation().getOperation()).isEqualTo(InstanceOperation.DISABLE);
    assertThat(config.getInstanceOperation().getReason()).isEqualTo("maintenance");
  }

  @Test
  void aWatchingMemberSeesTheLiveHostsComeAndGoWithTheirNetworks() {
    createCluster();
    java.util.concurrent.CopyOnWriteArrayList<List<HostRegistration>> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    HelixClusterMember watcher =
        member(host1("10.0.0.11:7701", Map.of()).withNetwork(new io.ferry.common.cluster.HostNetwork("10.100.0.0/16", "10.0.0.11")));
    watcher.watchHosts(seen::add);
    watcher.join();
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
        assertThat(last(seen)).extracting(HostRegistration::hostName).containsExactly("host-1"));

    HostRegistration two =
        new HostRegistration("host-2", "10.0.0.12:7701", 4000, 8L << 30, 0, Map.of(), "0.1.0-test")
            .withNetwork(new io.ferry.common.cluster.HostNetwork("10.100.0.0/16", "10.0.0.12"));
    HelixClusterMember joiner = member(two);
    joiner.join();
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(last(seen)).contains(two).hasSize(2));

    joiner.close(); // leaves at once
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
        assertThat(last(seen)).extracting(HostRegistration::hostName).containsExactly("host-1"));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> watcher.watchHosts(l -> {}))
        .isInstanceOf(IllegalStateException.class);
  }

  private static List<HostRegistration> last(List<List<HostRegistration>> seen) {
    return seen.isEmpty() ? List.of() : seen.get(seen.size() - 1);
  }

  @Test
  void afterASessionExpiryTheLiveInstanceComesBack() throws Exception {
    createCluster();
    HelixClusterMember member = member(host1("10.0.0.11:7701", Map.of()));
    member.join();
    await().atMost(Duration.ofSeconds(15)).until(member::isConnected);
    String before = liveSession("host-1");
    await().atMost(Duration.ofSeconds(5)).until(() -> member.liveSince().isPresent());
    Instant liveBefore = member.liveSince().get();

    HelixSessions.expire(member.manager());

    // The server drops the old session after its timeout; Helix, finding the old node still
    // there, sleeps the session timeout + 5 s before its last try to create the new one. Should
    // that try still lose (a loaded machine: the CI run that failed with a 16 s bound), Helix gives
    // the session up and the member starts over with a new manager, which may sleep once more.
    Duration helixWait = SESSION.plusSeconds(5);
    await().atMost(SESSION.plus(helixWait.multipliedBy(2)).plusSeconds(10))
        .until(() -> zk.exists(liveInstance("host-1")) && !before.equals(liveSession("host-1")));
    await().atMost(Duration.ofSeconds(5)).until(member::isConnected);
    assertThat(member.state()).isEqualTo(MemberState.JOINED);
    // The fence's clock for "the cluster saw the host come back": after the new node, not before.
    await().atMost(Duration.ofSeconds(5)).until(() -> member.liveSince().filter(t -> t.isAfter(liveBefore)).isPresent());
  }

  private HelixClusterMember member(HostRegistration registration) {
    HelixClusterMember member = new HelixClusterMember(connect(), FERRY_CLUSTER, registration, SESSION);
    members.add(member);
    return member;
  }

  private static HostRegistration host1(String address, Map<String, String> labels) {
    return new HostRegistration("host-1", address, 4000, 8L << 30, 100L << 30, labels, "0.1.0-test");
  }

  /** As a coordinator creates it: Helix's state models, delayed rebalance. */
  private void createCluster() {
    ClusterSetup setup = new ClusterSetup.Builder().setZkAddress(connect()).build();
    try {
      setup.addCluster(CLUSTER, false);
    } finally {
      setup.close();
    }
    ConfigAccessor configs = new ConfigAccessor.Builder().setZkAddress(connect()).build();
    try {
      ClusterConfig config = configs.getClusterConfig(CLUSTER);
      config.setDelayRebalaceEnabled(true);
      config.setRebalanceDelayTime(30_000);
      configs.setClusterConfig(CLUSTER, config);
    } finally {
      configs.close();
    }
  }

  private InstanceConfig instanceConfig(String host) {
    return new InstanceConfig((ZNRecord) zk.readData(PropertyPathBuilder.instanceConfig(CLUSTER, host)));
  }

  private String liveSession(String host) {
    Stat stat = new Stat();
    zk.readData(liveInstance(host), stat);
    return Long.toHexString(stat.getEphemeralOwner());
  }

  private static String liveInstance(String host) {
    return PropertyPathBuilder.liveInstance(CLUSTER, host);
  }

  private String connect() {
    return zookeeper.getConnectString();
  }
}
