package io.ferry.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.common.ByteSize;
import io.ferry.coordinator.it.TestZooKeeper;
import io.ferry.coordinator.placement.Resources;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reservations on a real ZooKeeper: concurrent launches never overcommit a host. */
class ReservationsIT {

  private static final Resources ONE = Resources.of(1000, ByteSize.ofMiB(512), ByteSize.ofGiB(1));

  @TempDir Path dir;
  private EmbeddedZooKeeper zookeeper;
  private final List<CuratorFramework> clients = new ArrayList<>();
  private final ClusterPaths paths = new ClusterPaths("test");

  @BeforeEach
  void startZooKeeper() throws Exception {
    zookeeper = TestZooKeeper.start(dir.resolve("zk"), Duration.ofMillis(500));
  }

  @AfterEach
  void stop() {
    clients.forEach(CuratorFramework::close);
    zookeeper.close();
  }

  private Reservations reservations() throws Exception {
    CuratorFramework client = CuratorFrameworkFactory.newClient(zookeeper.connectString(), 6000, 5000, new RetryOneTime(100));
    client.start();
    assertThat(client.blockUntilConnected(10, TimeUnit.SECONDS)).isTrue();
    clients.add(client);
    return new Reservations(client, paths);
  }

  @Test
  void twentyConcurrentLaunchesForTenPlacesPlaceExactlyTen() throws Exception {
    // Two "coordinators" (two ZooKeeper sessions) racing on one host.
    Reservations a = reservations();
    Reservations b = reservations();
    a.registerHost("host-1", Resources.of(10_000, ByteSize.ofGiB(64), ByteSize.ofGiB(100)));

    ExecutorService pool = Executors.newFixedThreadPool(20);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Reservations.Outcome>> outcomes = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      Reservations r = i % 2 == 0 ? a : b;
      String name = "c-" + i;
      outcomes.add(pool.submit(() -> {
        go.await();
        return r.reserve(name, "host-1", ONE);
      }));
    }
    go.countDown();
    int reserved = 0;
    int refused = 0;
    for (Future<Reservations.Outcome> f : outcomes) {
      Reservations.Outcome o = f.get(30, TimeUnit.SECONDS);
      if (o instanceof Reservations.Outcome.Reserved) {
        reserved++;
      } else if (o instanceof Reservations.Outcome.Insufficient insufficient) {
        assertThat(insufficient.reason()).startsWith("host-1: needs");
        refused++;
      }
    }
    pool.shutdownNow();

    assertThat(reserved).isEqualTo(10);
    assertThat(refused).isEqualTo(10);
    Reservations.HostAllocation host = a.host("host-1").orElseThrow();
    assertThat(host.allocated().cpuMillis()).isEqualTo(10_000);
    assertThat(host.containers()).isEqualTo(10);
  }

  @Test
  void aContainerIsPlacedOnceAndReleasingGivesItsShareBack() throws Exception {
    Reservations r = reservations();
    r.registerHost("host-1", Resources.of(2000, ByteSize.ofGiB(4), ByteSize.ofGiB(10)));
    r.registerHost("host-2", Resources.of(2000, ByteSize.ofGiB(4), ByteSize.ofGiB(10)));

    assertThat(r.reserve("web", "host-1", ONE)).isInstanceOf(Reservations.Outcome.Reserved.class);
    assertThat(r.reserve("web", "host-2", ONE))
        .isInstanceOfSatisfying(Reservations.Outcome.AlreadyPlaced.class, p -> assertThat(p.existing().host()).isEqualTo("host-1"));
    assertThat(r.host("host-2").orElseThrow().allocated()).as("nothing reserved by the refused call").isEqualTo(Resources.ZERO);

    assertThat(r.release("web")).isTrue();
    assertThat(r.release("web")).isFalse();
    assertThat(r.host("host-1").orElseThrow().allocated()).isEqualTo(Resources.ZERO);
    assertThat(r.placement("web")).isEmpty();
    assertThat(r.reserve("web", "host-2", ONE)).isInstanceOf(Reservations.Outcome.Reserved.class);
  }
}
