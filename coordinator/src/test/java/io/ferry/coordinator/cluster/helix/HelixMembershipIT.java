package io.ferry.coordinator.cluster.helix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ferry.common.cluster.HelixNames;
import io.ferry.common.cluster.HostRegistration;
import io.ferry.coordinator.cluster.HostMember;
import io.ferry.coordinator.cluster.HostOperation;
import io.ferry.coordinator.store.EmbeddedZooKeeper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.helix.HelixManager;
import org.apache.helix.InstanceType;
import org.apache.helix.manager.zk.ZKHelixAdmin;
import org.apache.helix.model.InstanceConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Membership on a real ZooKeeper, with hosts registered the way the agent registers them (the
 * coordinator cannot depend on the agent: the InstanceConfig is written here with Helix and
 * HostRegistration's fields, and a plain Helix participant goes live).
 */
class HelixMembershipIT {

  private static final Duration SESSION = Duration.ofSeconds(3);
  private static final String CLUSTER = "test";
  private static final String HELIX_CLUSTER = HelixNames.clusterName(CLUSTER);

  @TempDir Path dir;
  private EmbeddedZooKeeper zookeeper;
  private ZKHelixAdmin admin;
  private HelixMembership membership;
  private final List<HelixManager> participants = new ArrayList<>();
  private final List<List<HostMember>> notified = new CopyOnWriteArrayList<>();
  private final List<String> listenerThreads = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    zookeeper = HelixSessions.zooKeeper(dir.resolve("zk").toFile());
    new HelixClusterSetup(connect(), CLUSTER, SESSION, Duration.ofSeconds(30)).ensure(Duration.ofSeconds(30));
    admin = new ZKHelixAdmin.Builder().setZkAddress(connect()).build();
    membership = HelixMembership.start(connect(), CLUSTER, "coordinator-1", SESSION);
    membership.addListener(hosts -> {
      notified.add(hosts);
      listenerThreads.add(Thread.currentThread().getName());
    });
  }

  @AfterEach
  void stop() throws Exception {
    membership.close();
    participants.forEach(HelixManager::disconnect);
    admin.close();
    zookeeper.close();
  }

  @Test
  void seesARegisteredHostGoLiveAndGoAway() throws Exception {
    assertThat(membership.hosts()).isEmpty();
    assertThat(HelixSessions.negotiatedSessionTimeoutMs(membership.manager())).as("not Helix's 30 s").isEqualTo(3000);
    HostRegistration host1 = registration("host-1", Map.of("zone", "a"));

    register(host1);

    await().atMost(Duration.ofSeconds(5)).until(() -> membership.host("host-1").isPresent());
    assertThat(membership.host("host-1").orElseThrow()).isEqualTo(new HostMember(host1, false, true));

    HelixManager participant = goLive("host-1");

    await().atMost(Duration.ofSeconds(5)).until(() -> membership.host("host-1").orElseThrow().live());
    assertThat(membership.hosts()).extracting(HostMember::name).containsExactly("host-1");
    assertThat(notified).isNotEmpty();
    assertThat(notified.get(notified.size() - 1)).containsExactly(new HostMember(host1, true, true));
    assertThat(listenerThreads).allMatch(t -> t.equals("membership-" + HELIX_CLUSTER));

    participant.disconnect();

    await().atMost(Duration.ofSeconds(5)).until(() -> !membership.host("host-1").orElseThrow().live());
  }

  @Test
  void listsHostsByNameAndSkipsInstancesNoAgentRegistered() {
    register(registration("host-2", Map.of()));
    register(registration("host-1", Map.of("ssd", "true")));
    admin.addInstance(HELIX_CLUSTER, new InstanceConfig("localhost_12918")); // a bare Helix instance

    await().atMost(Duration.ofSeconds(5)).until(() -> membership.hosts().size() == 2);
    assertThat(membership.hosts()).extracting(HostMember::name).containsExactly("host-1", "host-2");
    assertThat(membership.host("localhost_12918")).isEmpty();
    assertThat(membership.host("host-1").orElseThrow().registration().labels()).containsEntry("ssd", "true");
  }

  @Test
  void hostOperationsShowAsEnabledOrNot() {
    register(registration("host-1", Map.of()));
    await().atMost(Duration.ofSeconds(5)).until(() -> membership.host("host-1").isPresent());

    membership.setOperation("host-1", HostOperation.DISABLE, "maintenance");
    await().atMost(Duration.ofSeconds(5)).until(() -> !membership.host("host-1").orElseThrow().enabled());
    assertThat(admin.getInstanceConfig(HELIX_CLUSTER, "host-1").getInstanceOperation().getReason()).isEqualTo("maintenance");

    membership.setOperation("host-1", HostOperation.ENABLE, "done");
    await().atMost(Duration.ofSeconds(5)).until(() -> membership.host("host-1").orElseThrow().enabled());

    assertThatThrownBy(() -> membership.setOperation("host-9", HostOperation.DISABLE, "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("host-9");
  }

  @Test
  void keepsFollowingAfterItsOwnSessionExpires() throws Exception {
    register(registration("host-1", Map.of()));
    await().atMost(Duration.ofSeconds(5)).until(() -> membership.host("host-1").isPresent());

    HelixSessions.expire(membership.manager());
    register(registration("host-2", Map.of()));
    goLive("host-2");

    await().atMost(SESSION.plusSeconds(10)).until(() -> membership.host("host-2").map(HostMember::live).orElse(false));
    assertThat(membership.hosts()).extracting(HostMember::name).containsExactly("host-1", "host-2");
  }

  /** What the agent's registrar writes: an InstanceConfig holding HostRegistration's fields. */
  private void register(HostRegistration registration) {
    InstanceConfig config = new InstanceConfig(registration.hostName());
    config.getRecord().getSimpleFields().putAll(registration.simpleFields());
    config.getRecord().getMapFields().putAll(registration.mapFields());
    admin.addInstance(HELIX_CLUSTER, config);
  }

  private HelixManager goLive(String host) throws Exception {
    HelixManager participant = HelixClients.manager(InstanceType.PARTICIPANT, connect(), HELIX_CLUSTER, host, SESSION);
    participant.connect();
    participants.add(participant);
    return participant;
  }

  private static HostRegistration registration(String host, Map<String, String> labels) {
    return new HostRegistration(host, host + ".example:7701", 4000, 8L << 30, 100L << 30, labels, "0.1.0-test");
  }

  private String connect() {
    return zookeeper.connectString();
  }
}
