package io.ferry.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ferry.common.ByteSize;
import io.ferry.coordinator.it.TestZooKeeper;
import io.ferry.coordinator.placement.Resources;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store on a real ZooKeeper, seen by two coordinators' mirrors. */
class ClusterStoreIT {

  private static final Resources SMALL = Resources.of(500, ByteSize.ofMiB(256), ByteSize.ofGiB(1));

  @TempDir Path dir;
  private EmbeddedZooKeeper zookeeper;
  private final List<AutoCloseable> open = new ArrayList<>();
  private final ClusterPaths paths = new ClusterPaths("store");

  @BeforeEach
  void startZooKeeper() throws Exception {
    zookeeper = TestZooKeeper.start(dir.resolve("zk"), Duration.ofMillis(500));
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    zookeeper.close();
  }

  private ClusterStore store() throws Exception {
    return store(client());
  }

  private CuratorFramework client() throws InterruptedException {
    CuratorFramework client = CuratorFrameworkFactory.newClient(zookeeper.connectString(), 6000, 5000, new RetryOneTime(100));
    client.start();
    assertThat(client.blockUntilConnected(10, TimeUnit.SECONDS)).isTrue();
    open.add(client);
    return client;
  }

  private ClusterStore store(CuratorFramework client) throws Exception {
    ClusterStore store = new ClusterStore(client, paths).start(10_000);
    open.add(store);
    return store;
  }

  /** Ends {@code client}'s session as ZooKeeper does when it times out (a second handle on it closes it). */
  private void expireSession(CuratorFramework client) throws Exception {
    ZooKeeper current = client.getZookeeperClient().getZooKeeper();
    ZooKeeper twin = new ZooKeeper(zookeeper.connectString(), 6000, event -> {}, current.getSessionId(), current.getSessionPasswd());
    await().atMost(Duration.ofSeconds(10)).until(() -> twin.getState().isConnected());
    twin.close();
  }

  @Test
  void aMirrorWhoseSessionExpiredCatchesUpOnEverythingThatChangedMeanwhile() throws Exception {
    ClusterStore writer = store();
    CuratorFramework followerClient = client();
    ClusterStore follower = store(followerClient);
    writer.registerHost("host-1", Resources.of(2000, ByteSize.ofGiB(1), ByteSize.ofGiB(10)));
    writer.launch(record("old-1", "host-1", "op-1"), OperationRecord.started("op-1", OperationRecord.Kind.LAUNCH, "old-1", "", Map.of(), 1));
    await().atMost(Duration.ofSeconds(5)).until(() -> follower.container("old-1").isPresent());
    List<String> gone = new CopyOnWriteArrayList<>();
    follower.addListener(new StoreListener() {
      @Override
      public void containerChanged(String name, ContainerRecord before, ContainerRecord after) {
        if (after == null) {
          gone.add(name);
        }
      }
    });

    long oldSession = followerClient.getZookeeperClient().getZooKeeper().getSessionId();
    expireSession(followerClient);
    OperationRecord delete = OperationRecord.started("op-2", OperationRecord.Kind.DELETE, "old-1", "", Map.of(), 2);
    Versioned<ContainerRecord> old = writer.container("old-1").orElseThrow();
    writer.startOperation(delete, old.value().withDesired(ContainerRecord.Desired.DELETED, "op-2", 3), old.version());
    assertThat(writer.forget("old-1", delete.succeeded(4))).isTrue();
    writer.launch(record("new-1", "host-1", "op-3"), OperationRecord.started("op-3", OperationRecord.Kind.LAUNCH, "new-1", "", Map.of(), 5));

    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      assertThat(follower.container("old-1")).isEmpty();
      assertThat(follower.container("new-1")).isPresent();
      assertThat(follower.operation("op-2")).hasValueSatisfying(o -> assertThat(o.state()).isEqualTo(OperationRecord.State.SUCCEEDED));
      assertThat(follower.hostAllocation("host-1")).hasValueSatisfying(a -> assertThat(a.containers()).isEqualTo(1));
    });
    assertThat(gone).as("the listeners heard of the deletion once").containsExactly("old-1");
    assertThat(followerClient.getZookeeperClient().getZooKeeper().getSessionId())
        .as("the follower's session really expired: it runs on a new one").isNotEqualTo(oldSession);
  }

  private static ContainerRecord record(String name, String host, String operationId) {
    return new ContainerRecord(name, host, new byte[] {1, 2}, SMALL, Map.of("zone", "a"), "", ContainerRecord.Desired.RUNNING, new byte[0], operationId, 1, 1);
  }

  @Test
  void aLaunchWritesPlacementReservationRecordAndOperationTogetherAndEveryMirrorSeesIt() throws Exception {
    ClusterStore leader = store();
    ClusterStore follower = store();
    leader.registerHost("host-1", Resources.of(2000, ByteSize.ofGiB(1), ByteSize.ofGiB(10)));
    OperationRecord op = OperationRecord.started("op-1", OperationRecord.Kind.LAUNCH, "web-1", "placed", Map.of(), 1);

    assertThat(leader.launch(record("web-1", "host-1", "op-1"), op)).isInstanceOf(Reservations.Outcome.Reserved.class);

    for (ClusterStore mirror : List.of(leader, follower)) {
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
        assertThat(mirror.container("web-1")).hasValueSatisfying(v -> assertThat(v.value().host()).isEqualTo("host-1"));
        assertThat(mirror.operation("op-1")).hasValueSatisfying(o -> assertThat(o.state()).isEqualTo(OperationRecord.State.RUNNING));
        assertThat(mirror.hostAllocation("host-1")).hasValueSatisfying(a -> {
          assertThat(a.allocated()).isEqualTo(SMALL);
          assertThat(a.containers()).isEqualTo(1);
        });
      });
    }
    assertThat(leader.launch(record("web-1", "host-1", "op-2"), OperationRecord.started("op-2", OperationRecord.Kind.LAUNCH, "web-1", "", Map.of(), 2)))
        .isInstanceOf(Reservations.Outcome.AlreadyPlaced.class);
    assertThat(follower.operation("op-2")).isEmpty();
  }

  @Test
  void aConditionalUpdateLosesAgainstANewerVersionAndWritesNothing() throws Exception {
    ClusterStore a = store();
    ClusterStore b = store();
    a.registerHost("host-1", Resources.of(2000, ByteSize.ofGiB(1), ByteSize.ofGiB(10)));
    a.launch(record("db-1", "host-1", "op-1"), OperationRecord.started("op-1", OperationRecord.Kind.LAUNCH, "db-1", "", Map.of(), 1));
    await().atMost(Duration.ofSeconds(5)).until(() -> b.container("db-1").isPresent());
    Versioned<ContainerRecord> seen = b.container("db-1").orElseThrow();

    a.updateContainer(seen.value().withOperation("", 5), seen.version());
    assertThatThrownBy(() -> b.updateContainer(seen.value().withOperation("op-9", 6), seen.version())).isInstanceOf(ClusterStore.ConflictException.class);

    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(b.container("db-1").orElseThrow().value().operationId()).isEmpty());
    assertThat(a.container("db-1").orElseThrow().version()).as("the writer reads its own write at once").isEqualTo(seen.version() + 1);
  }

  @Test
  void forgettingAContainerGivesItsReservationBackAndEndsTheOperationInOneWrite() throws Exception {
    ClusterStore store = store();
    List<String> events = new CopyOnWriteArrayList<>();
    store.addListener(new StoreListener() {
      @Override
      public void containerChanged(String name, ContainerRecord before, ContainerRecord after) {
        events.add(name + (after == null ? " gone" : before == null ? " new" : " changed"));
      }
    });
    store.registerHost("host-1", Resources.of(2000, ByteSize.ofGiB(1), ByteSize.ofGiB(10)));
    store.launch(record("tmp-1", "host-1", "op-1"), OperationRecord.started("op-1", OperationRecord.Kind.LAUNCH, "tmp-1", "", Map.of(), 1));
    OperationRecord delete = OperationRecord.started("op-2", OperationRecord.Kind.DELETE, "tmp-1", "", Map.of(), 2);
    await().atMost(Duration.ofSeconds(5)).until(() -> store.container("tmp-1").isPresent());
    Versioned<ContainerRecord> current = store.container("tmp-1").orElseThrow();
    store.startOperation(delete, current.value().withDesired(ContainerRecord.Desired.DELETED, "op-2", 3), current.version());

    assertThat(store.forget("tmp-1", delete.succeeded(4))).isTrue();
    assertThat(store.forget("tmp-1", delete.succeeded(4))).as("already gone").isFalse();

    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      assertThat(store.container("tmp-1")).isEmpty();
      assertThat(store.operation("op-2")).hasValueSatisfying(o -> assertThat(o.state()).isEqualTo(OperationRecord.State.SUCCEEDED));
      assertThat(store.hostAllocation("host-1")).hasValueSatisfying(a -> {
        assertThat(a.allocated()).isEqualTo(Resources.ZERO);
        assertThat(a.containers()).isZero();
      });
      assertThat(events).containsExactly("tmp-1 new", "tmp-1 changed", "tmp-1 gone");
    });
  }

  @Test
  void antiAffinityIsCheckedInTheReservingWrite() throws Exception {
    ClusterStore store = store();
    store.registerHost("host-1", Resources.of(4000, ByteSize.ofGiB(4), ByteSize.ofGiB(10)));
    ContainerRecord first = new ContainerRecord("ha-1", "host-1", new byte[0], SMALL, Map.of(), "db", ContainerRecord.Desired.RUNNING, new byte[0], "op-1", 1, 1);
    ContainerRecord second = new ContainerRecord("ha-2", "host-1", new byte[0], SMALL, Map.of(), "db", ContainerRecord.Desired.RUNNING, new byte[0], "op-2", 1, 1);

    assertThat(store.launch(first, OperationRecord.started("op-1", OperationRecord.Kind.LAUNCH, "ha-1", "", Map.of(), 1))).isInstanceOf(Reservations.Outcome.Reserved.class);
    assertThat(store.launch(second, OperationRecord.started("op-2", OperationRecord.Kind.LAUNCH, "ha-2", "", Map.of(), 1)))
        .isInstanceOfSatisfying(Reservations.Outcome.Insufficient.class, i -> assertThat(i.reason()).contains("anti-affinity group db"));
  }

  /** An address source over a fixed list, as a lagging leader's pool would be: it does not know what others took. */
  private static final class StaleSource implements AddressSource {
    private final io.ferry.coordinator.network.AddressPool pool =
        new io.ferry.coordinator.network.AddressPool(io.ferry.coordinator.network.ClusterNetwork.parse("10.100.0.0/24"));

    @Override
    public synchronized ClusterAddress take(java.util.Set<String> taken) {
      return pool.take(taken);
    }

    @Override
    public synchronized void giveBack(ClusterAddress address) {
      pool.giveBack(address);
    }
  }

  @Test
  void twoCoordinatorsWithStaleViewsNeverGiveOneAddressTwiceAndADeleteFreesIt() throws Exception {
    ClusterStore one = store();
    ClusterStore two = store();
    one.registerHost("host-1", Resources.of(1_000_000, ByteSize.ofGiB(1024), ByteSize.ofGiB(1024)));
    one.registerHost("host-2", Resources.of(1_000_000, ByteSize.ofGiB(1024), ByteSize.ofGiB(1024)));
    // Each coordinator's source starts at the lowest address and never hears of the other's
    // launches: only the index nodes keep them apart.
    StaleSource firstView = new StaleSource();
    StaleSource secondView = new StaleSource();
    int perCoordinator = 20;
    java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(4);
    List<ClusterStore.Launch> launched = new CopyOnWriteArrayList<>();
    try {
      List<java.util.concurrent.Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int worker = t;
        done.add(threads.submit(() -> {
          ClusterStore store = worker % 2 == 0 ? one : two;
          AddressSource source = worker % 2 == 0 ? firstView : secondView;
          for (int i = 0; i < perCoordinator / 2; i++) {
            String name = "c-" + worker + "-" + i;
            OperationRecord op = OperationRecord.started("op-" + name, OperationRecord.Kind.LAUNCH, name, "placed", Map.of(), 1);
            launched.add(store.launch(record(name, "host-" + (1 + worker % 2), "op-" + name), op, source));
          }
          return null;
        }));
      }
      for (java.util.concurrent.Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdownNow();
    }
    assertThat(launched).hasSize(2 * perCoordinator).allSatisfy(l -> assertThat(l.outcome()).isInstanceOf(Reservations.Outcome.Reserved.class));
    List<String> addresses = launched.stream().map(l -> l.record().network().address()).toList();
    assertThat(addresses).doesNotHaveDuplicates();
    assertThat(launched.stream().map(l -> l.record().network().mac()).toList()).doesNotHaveDuplicates();

    CuratorFramework zk = CuratorFrameworkFactory.newClient(zookeeper.connectString(), new RetryOneTime(100));
    zk.start();
    open.add(zk);
    assertThat(zk.getChildren().forPath(paths.addresses())).containsExactlyInAnyOrderElementsOf(addresses);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(two.container(launched.get(0).record().name())).hasValueSatisfying(v -> assertThat(v.value().network()).isEqualTo(launched.get(0).record().network())));

    // A delete frees the address in the same write that removes the record.
    String victim = launched.get(0).record().name();
    String freed = launched.get(0).record().network().address();
    OperationRecord del = OperationRecord.started("op-del", OperationRecord.Kind.DELETE, victim, "deleting", Map.of(), 2);
    zk.create().forPath(paths.operation("op-del"), new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsBytes(del));
    assertThat(one.forget(victim, del)).isTrue();
    assertThat(zk.checkExists().forPath(paths.address(freed))).isNull();
    assertThat(zk.checkExists().forPath(paths.container(victim))).isNull();

    // Exhaustion: a /29 has five addresses.
    ClusterStore three = store();
    AddressSource tiny = new io.ferry.coordinator.network.AddressPool(io.ferry.coordinator.network.ClusterNetwork.parse("10.200.0.0/29"));
    for (int i = 0; i < 5; i++) {
      OperationRecord op = OperationRecord.started("op-t" + i, OperationRecord.Kind.LAUNCH, "t-" + i, "placed", Map.of(), 1);
      assertThat(three.launch(record("t-" + i, "host-1", "op-t" + i), op, tiny).outcome()).isInstanceOf(Reservations.Outcome.Reserved.class);
    }
    OperationRecord sixth = OperationRecord.started("op-t5", OperationRecord.Kind.LAUNCH, "t-5", "placed", Map.of(), 1);
    assertThatThrownBy(() -> three.launch(record("t-5", "host-1", "op-t5"), sixth, tiny))
        .isInstanceOfSatisfying(io.ferry.coordinator.CoordinatorException.class,
            e -> assertThat(e.kind()).isEqualTo(io.ferry.coordinator.CoordinatorException.Kind.RESOURCE_EXHAUSTED));
    assertThat(three.container("t-5")).isEmpty();
  }
}
