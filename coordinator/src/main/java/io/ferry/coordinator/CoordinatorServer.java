package io.ferry.coordinator;

import io.ferry.coordinator.config.CoordinatorConfig;
import io.ferry.coordinator.store.ClusterPaths;
import io.ferry.coordinator.store.EmbeddedZooKeeper;
import io.ferry.coordinator.store.ZooKeeperSession;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running coordinator: the embedded ZooKeeper when configured, its ZooKeeper session, and the
 * gRPC server (standard health service and reflection). Health is SERVING only while the
 * ZooKeeper session is connected: a coordinator cut off from ZooKeeper must not be used.
 *
 * <p>Lifecycle: {@link #start()} once, {@link #close()} once; not restartable.
 */
public final class CoordinatorServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CoordinatorServer.class);

  private final CoordinatorConfig config;
  private final HealthStatusManager health = new HealthStatusManager();
  private EmbeddedZooKeeper zookeeper;
  private ZooKeeperSession session;
  private Server server;

  public CoordinatorServer(CoordinatorConfig config) {
    this.config = config;
  }

  public CoordinatorServer start() throws IOException, InterruptedException {
    String connect = config.connectString();
    if (config.embedded()) {
      zookeeper = new EmbeddedZooKeeper(config.embeddedZookeeper()).start();
      connect = zookeeper.connectString();
    }
    health.setStatus("", ServingStatus.NOT_SERVING);
    session =
        new ZooKeeperSession(
            connect,
            config.sessionTimeout(),
            new ClusterPaths(config.clusterName()),
            connected -> health.setStatus("", connected ? ServingStatus.SERVING : ServingStatus.NOT_SERVING));
    session.connect(Duration.ofSeconds(30));
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress(config.listenAddress(), config.listenPort()))
            .addService(health.getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance())
            .build()
            .start();
    session.announceCoordinator(config.coordinatorId(), config.listenAddress() + ":" + port());
    log.info("coordinator {} serving on {}:{}", config.coordinatorId(), config.listenAddress(), port());
    return this;
  }

  public int port() {
    return server.getPort();
  }

  public ZooKeeperSession session() {
    return session;
  }

  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /** For shutdown hooks: closes, restoring the interrupt flag if interrupted. */
  public void closeQuietly() {
    try {
      close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() throws InterruptedException {
    health.enterTerminalState();
    if (server != null) {
      server.shutdown();
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    }
    if (session != null) {
      session.close();
    }
    if (zookeeper != null) {
      zookeeper.close();
    }
  }
}
