package io.ferry.coordinator.cluster.helix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ferry.common.cluster.HelixNames;
import io.ferry.coordinator.cluster.ClusterUnavailableException;
import io.ferry.coordinator.store.EmbeddedZooKeeper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.helix.ConfigAccessor;
import org.apache.helix.PropertyPathBuilder;
import org.apache.helix.manager.zk.ZKHelixAdmin;
import org.apache.helix.manager.zk.ZKUtil;
import org.apache.helix.model.ClusterConfig;
import org.apache.helix.model.InstanceConfig;
import org.apache.helix.zookeeper.datamodel.serializer.ZNRecordSerializer;
import org.apache.helix.zookeeper.impl.client.ZkClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Creating the Helix cluster: idempotent, safe for coordinators starting together. */
class HelixClusterSetupIT {

  private static final Duration SESSION = Duration.ofSeconds(3);
  private static final String CLUSTER = "test";
  private static final String HELIX_CLUSTER = HelixNames.clusterName(CLUSTER);

  @TempDir Path dir;
  private EmbeddedZooKeeper zookeeper;
  private ZkClient zk;

  @BeforeEach
  void start() throws Exception {
    zookeeper = HelixSessions.zooKeeper(dir.resolve("zk").toFile());
    zk = new ZkClient.Builder().setZkServer(zookeeper.connectString()).setZkSerializer(new ZNRecordSerializer()).build();
  }

  @AfterEach
  void stop() throws Exception {
    zk.close();
    zookeeper.close();
  }

  @Test
  void coordinatorsStartingTogetherAllSucceed() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(6);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> setups = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      setups.add(pool.submit((Callable<Void>) () -> {
        go.await();
        setup(Duration.ofSeconds(30)).ensure(Duration.ofSeconds(30));
        return null;
      }));
    }
    List<Future<HelixCluster>> coordinators = new ArrayList<>();
    for (String id : List.of("coordinator-a", "coordinator-b")) {
      coordinators.add(pool.submit(() -> {
        go.await();
        return HelixCluster.start(zookeeper.connectString(), CLUSTER, id, SESSION, Duration.ofSeconds(30));
      }));
    }

    go.countDown();

    for (Future<?> f : setups) {
      f.get(60, TimeUnit.SECONDS);
    }
    List<HelixCluster> clusters = new ArrayList<>();
    try {
      for (Future<HelixCluster> f : coordinators) {
        clusters.add(f.get(60, TimeUnit.SECONDS));
      }
      assertThat(ZKUtil.isClusterSetup(HELIX_CLUSTER, zk)).isTrue();
      assertThat(zk.getChildren(PropertyPathBuilder.stateModelDef(HELIX_CLUSTER)))
          .contains("OnlineOffline", "MasterSlave", "LeaderStandby");
      assertThat(zk.exists(new io.ferry.coordinator.store.ClusterPaths(CLUSTER).helixSetupLock())).as("lock released").isFalse();
      ClusterConfig config = clusterConfig();
      assertThat(config.isDelayRebalaceEnabled()).isTrue();
      assertThat(config.getRebalanceDelayTime()).isEqualTo(30_000);
      await().atMost(Duration.ofSeconds(15))
          .until(() -> clusters.get(0).leadership().isLeader() ^ clusters.get(1).leadership().isLeader());
    } finally {
      clusters.forEach(HelixCluster::close);
      pool.shutdownNow();
    }
  }

  @Test
  void settingUpAgainKeepsTheHostsAndAppliesTheNewDelay() throws Exception {
    setup(Duration.ofSeconds(30)).ensure(Duration.ofSeconds(10));
    ZKHelixAdmin admin = new ZKHelixAdmin.Builder().setZkAddress(zookeeper.connectString()).build();
    try {
      admin.addInstance(HELIX_CLUSTER, new InstanceConfig("host-1"));
    } finally {
      admin.close();
    }

    setup(Duration.ofSeconds(10)).ensure(Duration.ofSeconds(10));

    assertThat(zk.exists(PropertyPathBuilder.instanceConfig(HELIX_CLUSTER, "host-1"))).isTrue();
    assertThat(clusterConfig().getRebalanceDelayTime()).isEqualTo(10_000);
  }

  @Test
  void aClusterLeftHalfCreatedAndEmptyIsCompleted() throws Exception {
    zk.createPersistent("/" + HELIX_CLUSTER + "/IDEALSTATES", true); // a creator died here

    setup(Duration.ofSeconds(30)).ensure(Duration.ofSeconds(10));

    assertThat(ZKUtil.isClusterSetup(HELIX_CLUSTER, zk)).isTrue();
  }

  @Test
  void aDamagedClusterHoldingHostsIsRefusedNotRecreated() {
    zk.createPersistent(PropertyPathBuilder.instanceConfig(HELIX_CLUSTER, "host-1"), true);

    assertThatThrownBy(() -> setup(Duration.ofSeconds(30)).ensure(Duration.ofSeconds(10)))
        .isInstanceOf(ClusterUnavailableException.class)
        .hasMessageContaining("repair it by hand");
    assertThat(zk.exists(PropertyPathBuilder.instanceConfig(HELIX_CLUSTER, "host-1"))).isTrue();
  }

  @Test
  void givesUpWhenZooKeeperIsUnreachable() throws Exception {
    String nobody = zookeeper.connectString();
    zookeeper.close();

    assertThatThrownBy(() -> new HelixClusterSetup(nobody, CLUSTER, SESSION, Duration.ZERO).ensure(Duration.ofSeconds(2)))
        .isInstanceOf(ClusterUnavailableException.class)
        .hasMessageContaining("within 2000 ms");
  }

  private HelixClusterSetup setup(Duration delay) {
    return new HelixClusterSetup(zookeeper.connectString(), CLUSTER, SESSION, delay);
  }

  private ClusterConfig clusterConfig() {
    ConfigAccessor configs = new ConfigAccessor.Builder().setZkAddress(zookeeper.connectString()).build();
    try {
      return configs.getClusterConfig(HELIX_CLUSTER);
    } finally {
      configs.close();
    }
  }
}
