package io.ferry.bench;

import io.ferry.common.process.Command;
import io.ferry.common.security.zookeeper.ZooKeeperTls;
import io.ferry.coordinator.CoordinatorServer;
import io.ferry.coordinator.config.CoordinatorConfig;
import io.ferry.coordinator.store.EmbeddedZooKeeper;
import io.ferry.proto.v1.ClusterImage;
import io.ferry.proto.v1.ContainerServiceGrpc;
import io.ferry.proto.v1.EventServiceGrpc;
import io.ferry.proto.v1.HostServiceGrpc;
import io.ferry.proto.v1.HostState;
import io.ferry.proto.v1.ImageServiceGrpc;
import io.ferry.proto.v1.ListClusterImagesRequest;
import io.ferry.proto.v1.ListHostsRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A whole cluster in this JVM for the placement and list benchmarks: a fresh single-node ZooKeeper
 * (Ferry's {@link EmbeddedZooKeeper}, data in a temporary directory, fsync on as in production),
 * one {@link CoordinatorServer} using it as an external ensemble, and {@link SimulatedHosts} joined
 * through Helix. {@link #start} returns once the coordinator's API lists every host ONLINE and the
 * image on every host, so a launch can go anywhere.
 *
 * <p>Settings: cluster {@value #CLUSTER}, ZooKeeper tick 500 ms (the coordinator's default),
 * session timeouts 6 s (coordinator's and agents' defaults), {@code sync.interval} 30 s so the
 * upkeep round (asking every host for its images and containers) does not run during a
 * measurement, other coordinator settings at their defaults ({@code operations.threads} 32).
 */
final class BenchCluster implements AutoCloseable {

  static final String CLUSTER = "bench";
  static final Duration SESSION_TIMEOUT = Duration.ofSeconds(6);
  /** Answers of 10,000 containers are larger than gRPC's default 4 MiB. */
  static final int MAX_MESSAGE_BYTES = 64 << 20;

  final Path dir;
  final EmbeddedZooKeeper zookeeper;
  final CoordinatorServer coordinator;
  final SimulatedHosts hosts;
  final ManagedChannel channel;
  /** Seconds the hosts took to join, from the first join call until the last is connected. */
  final double joinSeconds;
  /** Seconds from the hosts joined until the coordinator showed them all online with images. */
  final double visibleSeconds;

  private BenchCluster(Path dir, EmbeddedZooKeeper zookeeper, CoordinatorServer coordinator, SimulatedHosts hosts, ManagedChannel channel, double joinSeconds, double visibleSeconds) {
    this.dir = dir;
    this.zookeeper = zookeeper;
    this.coordinator = coordinator;
    this.hosts = hosts;
    this.channel = channel;
    this.joinSeconds = joinSeconds;
    this.visibleSeconds = visibleSeconds;
  }

  static BenchCluster start(int hostCount, int joinParallelism) throws Exception {
    Path dir = Files.createTempDirectory("ferry-bench-cluster-");
    EmbeddedZooKeeper zookeeper = null;
    CoordinatorServer coordinator = null;
    SimulatedHosts hosts = null;
    ManagedChannel channel = null;
    try {
      // As a cluster runs it: mutual TLS, host identities only (the benchmark's own clients, the
      // coordinator and the simulated agents all dial with the bench CA's host certificates).
      ZooKeeperTls.install(BenchCerts.host("zookeeper"), dir.resolve("zookeeper-client"));
      zookeeper = new EmbeddedZooKeeper(new CoordinatorConfig.EmbeddedZooKeeperConfig(0, dir.resolve("zookeeper"), Duration.ofMillis(500)), true).start();
      coordinator =
          new CoordinatorServer(
                  CoordinatorConfig.load(
                      dir.resolve("absent.properties"),
                      Map.of(
                          "cluster.name", CLUSTER,
                          "listen.port", "0",
                          "zookeeper.connect", zookeeper.connectString(),
                          "sync.interval", "30s",
                          "images.spool-dir", dir.resolve("spool").toString(),
                          "security.dir", BenchCerts.pki().directory().toString(),
                          "join.port", "-1")))
              .start();
      channel = NettyChannelBuilder.forAddress("127.0.0.1", coordinator.port(), BenchCerts.admin().channelCredentials()).maxInboundMessageSize(MAX_MESSAGE_BYTES).build();
      awaitLeader(coordinator);
      hosts = SimulatedHosts.start(hostCount);
      Progress.log("%d simulated agents serving; joining them to the cluster, %d at a time", hostCount, joinParallelism);
      long t0 = System.nanoTime();
      hosts.join(zookeeper.connectString(), CLUSTER, SESSION_TIMEOUT, joinParallelism, Duration.ofMinutes(15));
      double joinSeconds = (System.nanoTime() - t0) / 1e9;
      Progress.log("%d hosts joined in %.1f s; waiting for the coordinator to see them online with images", hostCount, joinSeconds);
      long t1 = System.nanoTime();
      awaitVisible(channel, hostCount, Duration.ofMinutes(3));
      double visibleSeconds = (System.nanoTime() - t1) / 1e9;
      Progress.log("coordinator sees %d hosts online with images (%.1f s after the join)", hostCount, visibleSeconds);
      return new BenchCluster(dir, zookeeper, coordinator, hosts, channel, joinSeconds, visibleSeconds);
    } catch (Exception | Error e) {
      closeAll(channel, hosts, coordinator, zookeeper, dir);
      throw e;
    }
  }

  ContainerServiceGrpc.ContainerServiceStub containersAsync() {
    return ContainerServiceGrpc.newStub(channel);
  }

  ContainerServiceGrpc.ContainerServiceBlockingStub containers(Duration deadline) {
    return ContainerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  EventServiceGrpc.EventServiceStub events() {
    return EventServiceGrpc.newStub(channel);
  }

  private static void awaitLeader(CoordinatorServer coordinator) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!coordinator.isLeader()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the coordinator did not become leader within 60 s");
      }
      Thread.sleep(20);
    }
  }

  /** Until ListHosts shows every host ONLINE and ListImages the image on every host. */
  private static void awaitVisible(ManagedChannel channel, int hostCount, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      long online =
          HostServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).listHosts(ListHostsRequest.getDefaultInstance())
              .getHostsList().stream().filter(h -> h.getState() == HostState.HOST_STATE_ONLINE).count();
      int withImage =
          ImageServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).listImages(ListClusterImagesRequest.getDefaultInstance())
              .getImagesList().stream().filter(i -> i.getImage().getAliasesList().contains(SimulatedAgent.IMAGE_ALIAS))
              .mapToInt(ClusterImage::getHostsCount).sum();
      if (online == hostCount && withImage == hostCount) {
        return;
      }
      String now = online + " online, " + withImage + " with the image";
      if (!now.equals(last)) {
        Progress.log("  coordinator sees %s", now);
        last = now;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the coordinator did not see " + hostCount + " hosts online with images within " + timeout + ": " + last);
  }

  @Override
  public void close() {
    closeAll(channel, hosts, coordinator, zookeeper, dir);
  }

  private static void closeAll(ManagedChannel channel, SimulatedHosts hosts, CoordinatorServer coordinator, EmbeddedZooKeeper zookeeper, Path dir) {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (coordinator != null) {
      coordinator.closeQuietly();
    }
    if (hosts != null) {
      hosts.close();
    }
    if (zookeeper != null) {
      zookeeper.close();
    }
    Command.of("rm", "-rf", dir.toString()).timeout(Duration.ofMinutes(1)).run();
  }
}
