package io.ferry.coordinator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.coordinator.CoordinatorServer;
import io.ferry.coordinator.config.CoordinatorConfig;
import io.ferry.coordinator.store.EmbeddedZooKeeper;
import io.ferry.proto.v1.ContainerServiceGrpc;
import io.ferry.proto.v1.GetOperationRequest;
import io.ferry.proto.v1.HostServiceGrpc;
import io.ferry.proto.v1.HostState;
import io.ferry.proto.v1.ListHostsRequest;
import io.ferry.proto.v1.Operation;
import io.ferry.proto.v1.OperationServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The coordinator tests' cluster: an embedded ZooKeeper, two coordinators in this JVM with real
 * Helix, and three simulated hosts ({@link FakeHost}): host-1 (zone a, 2 cores, 1 GiB, busybox and
 * debian/12), host-2 (zone b, 2 cores, 1 GiB, busybox), host-3 (zone b, 2 cores, 512 MiB, busybox).
 * {@link #start} returns once both coordinators see the three hosts online.
 */
final class FakeCluster implements AutoCloseable {

  static final long MIB = 1 << 20;

  final List<CoordinatorServer> coordinators = new ArrayList<>();
  final List<FakeHost> hosts = new ArrayList<>();
  private final Path dir;
  private final EmbeddedZooKeeper zookeeper;
  private final List<ManagedChannel> channels = new ArrayList<>();

  private FakeCluster(Path dir, EmbeddedZooKeeper zookeeper) {
    this.dir = dir;
    this.zookeeper = zookeeper;
  }

  static FakeCluster start(Path dir) throws Exception {
    EmbeddedZooKeeper zookeeper =
        TestZooKeeper.start(dir.resolve("zk"), Duration.ofMillis(200));
    FakeCluster cluster = new FakeCluster(dir, zookeeper);
    try {
      for (String id : List.of("c1", "c2")) {
        cluster.coordinators.add(new CoordinatorServer(cluster.config(id)).start());
      }
      String zk = zookeeper.connectString();
      cluster.hosts.add(FakeHost.join(zk, "api", "host-1", 2000, 1024 * MIB, Map.of("zone", "a"), List.of("busybox", "debian/12")));
      cluster.hosts.add(FakeHost.join(zk, "api", "host-2", 2000, 1024 * MIB, Map.of("zone", "b"), List.of("busybox")));
      cluster.hosts.add(FakeHost.join(zk, "api", "host-3", 2000, 512 * MIB, Map.of("zone", "b"), List.of("busybox")));
      for (int i = 0; i < cluster.coordinators.size(); i++) {
        int c = i;
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
            assertThat(HostServiceGrpc.newBlockingStub(cluster.channel(c)).listHosts(ListHostsRequest.getDefaultInstance()).getHostsList())
                .hasSize(3)
                .allSatisfy(h -> assertThat(h.getState()).isEqualTo(HostState.HOST_STATE_ONLINE)));
      }
      return cluster;
    } catch (Exception | AssertionError e) {
      cluster.close();
      throw e;
    }
  }

  private CoordinatorConfig config(String id) {
    return CoordinatorConfig.load(
        dir.resolve("none.properties"),
        Map.of(
            "cluster.name", "api",
            "coordinator.id", id,
            "listen.port", "0",
            "metrics.port", "0",
            "zookeeper.connect", zookeeper.connectString(),
            "zookeeper.session-timeout", "3s",
            "sync.interval", "500ms",
            "images.spool-dir", dir.resolve(id + "-spool").toString(),
            "security.dir", TestCerts.securityDir().toString(),
            "join.port", "0"));
  }

  ManagedChannel channel(int coordinator) {
    while (channels.size() <= coordinator) {
      channels.add(null);
    }
    if (channels.get(coordinator) == null) {
      channels.set(coordinator, NettyChannelBuilder.forAddress("127.0.0.1", coordinators.get(coordinator).port(), TestCerts.admin().channelCredentials()).build());
    }
    return channels.get(coordinator);
  }

  ContainerServiceGrpc.ContainerServiceBlockingStub containers(int coordinator) {
    return ContainerServiceGrpc.newBlockingStub(channel(coordinator)).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** Watches {@code op} to its end through {@code coordinator}; returns its last state. */
  Operation follow(int coordinator, Operation op) {
    Iterator<Operation> updates = OperationServiceGrpc.newBlockingStub(channel(coordinator)).withDeadlineAfter(30, TimeUnit.SECONDS)
        .watchOperation(GetOperationRequest.newBuilder().setId(op.getId()).build());
    Operation last = op;
    while (updates.hasNext()) {
      last = updates.next();
    }
    return last;
  }

  FakeHost host(String name) {
    return hosts.stream().filter(h -> h.agent.host.equals(name)).findFirst().orElseThrow();
  }

  int leaderIndex() {
    for (int i = 0; i < coordinators.size(); i++) {
      if (coordinators.get(i).isLeader()) {
        return i;
      }
    }
    throw new AssertionError("no leader");
  }

  @Override
  public void close() throws Exception {
    channels.stream().filter(c -> c != null).forEach(ManagedChannel::shutdownNow);
    for (CoordinatorServer c : coordinators) {
      c.close();
    }
    hosts.forEach(FakeHost::close);
    zookeeper.close();
  }
}
