package io.ferry.coordinator;

import io.ferry.common.metrics.MetricsHttpServer;
import io.ferry.common.security.AccessInterceptor;
import io.ferry.common.security.FollowedRevocations;
import io.ferry.common.security.JoinTls;
import io.ferry.common.security.zookeeper.ZooKeeperTls;
import io.ferry.coordinator.api.ClusterApi;
import io.ferry.coordinator.api.CoordinatorAccess;
import io.ferry.coordinator.api.JoinApi;
import io.ferry.coordinator.cluster.LeadershipListener;
import io.ferry.coordinator.cluster.helix.HelixCluster;
import io.ferry.coordinator.config.CoordinatorConfig;
import io.ferry.coordinator.hosts.AgentClients;
import io.ferry.coordinator.hosts.HostDirectory;
import io.ferry.coordinator.hosts.HostImages;
import io.ferry.coordinator.metrics.CoordinatorMetrics;
import io.ferry.coordinator.network.AddressPool;
import io.ferry.coordinator.operations.ContainerOperations;
import io.ferry.coordinator.operations.Evacuations;
import io.ferry.coordinator.operations.HaDuties;
import io.ferry.coordinator.operations.Launcher;
import io.ferry.coordinator.operations.LeaderDuties;
import io.ferry.coordinator.operations.Migrations;
import io.ferry.coordinator.operations.OperationRunner;
import io.ferry.coordinator.placement.HostStatus;
import io.ferry.coordinator.security.CoordinatorSecurity;
import io.ferry.coordinator.security.HostAdmission;
import io.ferry.coordinator.security.IssuedRecords;
import io.ferry.coordinator.security.ZkRevocations;
import io.ferry.coordinator.store.ClusterPaths;
import io.ferry.coordinator.store.ClusterStore;
import io.ferry.coordinator.store.EmbeddedZooKeeper;
import io.ferry.coordinator.store.ZooKeeperSession;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running coordinator: the embedded ZooKeeper when configured, its ZooKeeper session, the
 * cluster's state mirrored from ZooKeeper, Helix membership and leadership, the operations runner
 * and upkeep, and the gRPC server with the public API (plus the standard health service and
 * reflection), all of it over mutual TLS only and behind the access check ({@link
 * CoordinatorAccess}): see docs/SECURITY.md. Health is SERVING only while the ZooKeeper session is connected: a coordinator cut
 * off from ZooKeeper must not be used.
 *
 * <p>Lifecycle: {@link #start()} once, {@link #close()} once; not restartable.
 */
public final class CoordinatorServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CoordinatorServer.class);
  /** Image chunks are 1 MiB; anything much larger than that is refused at the transport. */
  private static final int MAX_MESSAGE_BYTES = 4 << 20;

  private final CoordinatorConfig config;
  private final HealthStatusManager health = new HealthStatusManager();
  private EmbeddedZooKeeper zookeeper;
  private ZooKeeperSession session;
  private ClusterStore store;
  private HelixCluster helix;
  private AgentClients agents;
  private ZkRevocations revocations;
  private CoordinatorSecurity security;
  private OperationRunner runner;
  private LeaderDuties duties;
  private HaDuties ha;
  private ClusterApi api;
  private MetricsHttpServer metricsServer;
  private Server server;
  private Server joinServer;

  public CoordinatorServer(CoordinatorConfig config) {
    this.config = config;
  }

  public CoordinatorServer start() throws IOException, InterruptedException {
    Clock clock = Clock.systemUTC();
    // ZooKeeper is reached with this coordinator's certificate, and the cluster's revocation list
    // lives in ZooKeeper: the identity follows the list once the session is up.
    FollowedRevocations revoked = new FollowedRevocations();
    security = CoordinatorSecurity.load(config, revoked, clock);
    if (config.zookeeperTls()) {
      ZooKeeperTls.install(security.tls(), config.security().dir().resolve("zookeeper-client-" + config.coordinatorId()));
    }
    String connect = config.connectString();
    if (config.embedded()) {
      zookeeper = new EmbeddedZooKeeper(config.embeddedZookeeper(), config.zookeeperTls()).start();
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
    ClusterPaths paths = new ClusterPaths(config.clusterName());
    store = new ClusterStore(session.client(), paths).start(30_000);
    revocations = new ZkRevocations(session.client(), paths, clock).start();
    revoked.follow(revocations);
    helix = HelixCluster.start(connect, config.clusterName(), config.coordinatorId(), config.sessionTimeout(), config.rebalanceDelay());
    CoordinatorConfig.WorkConfig work = config.work();
    agents = new AgentClients(helix.membership(), work.agentCallTimeout(), security.tls());
    HostImages images = new HostImages(agents);
    HostDirectory hosts = new HostDirectory(helix.membership(), store, images, config.network());
    AddressPool addresses = AddressPool.following(config.network(), store);
    Migrations migrations = new Migrations(store, hosts, agents, clock, work.migrationTimeout(), Duration.ofSeconds(1));
    runner = new OperationRunner(store, helix.leadership(), agents, migrations, clock, work.threads(), Duration.ofSeconds(1));
    ContainerOperations containerOperations = new ContainerOperations(store, runner, migrations, agents, clock, addresses);
    Evacuations evacuations = new Evacuations(store, hosts, helix.membership(), containerOperations, runner, clock);
    runner.setEvacuations(evacuations);
    duties = new LeaderDuties(store, helix.membership(), helix.leadership(), images, agents, runner, clock, work.syncInterval(), work.keepEnded()).start();
    ha = new HaDuties(store, hosts, runner, helix.membership(), helix.leadership(), agents, clock, work.haReplicaInterval(), work.migrationTimeout(),
        work.haFailoverMargin()).start();
    CoordinatorMetrics metrics = new CoordinatorMetrics(config.coordinatorId());
    LeadershipListener onLeadership = new LeadershipListener() {
      @Override
      public void leadershipGained() {
        metrics.leadershipChanged();
        log.info("coordinator {} leads the cluster", config.coordinatorId());
        duties.registerAll();
        runner.leadershipGained();
      }

      @Override
      public void leadershipLost() {
        log.info("coordinator {} no longer leads", config.coordinatorId());
        metrics.leadershipChanged();
        runner.leadershipLost();
      }
    };
    helix.leadership().addListener(onLeadership); // Told at once if this coordinator already leads.
    HostAdmission admission =
        new HostAdmission(security.authority(), session.client(), paths, revocations, config.security().joinTokenLifetime(), clock);
    api =
        new ClusterApi(
            config.coordinatorId(),
            store,
            helix.leadership(),
            helix.membership(),
            hosts,
            images,
            agents,
            new Launcher(store, hosts, clock, metrics, addresses),
            containerOperations,
            evacuations,
            runner,
            work,
            clock,
            security.tls(),
            admission,
            new IssuedRecords(security.authority(), session.client(), paths, revocations));
    AccessInterceptor access = security.tls().interceptor(CoordinatorAccess.policy());
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(new InetSocketAddress(config.listenAddress(), config.listenPort()), security.tls().serverCredentials())
            .maxInboundMessageSize(MAX_MESSAGE_BYTES)
            .addService(ServerInterceptors.intercept(health.getHealthService(), access))
            .addService(ServerInterceptors.intercept(ProtoReflectionServiceV1.newInstance(), access));
    api.register(builder, metrics.apiInterceptor(), access);
    server = builder.build().start();
    if (config.security().joinPort() >= 0 && security.authority().isPresent()) {
      // The join endpoint: its own port, server-authenticated TLS, JoinService only (docs/SECURITY.md).
      joinServer =
          NettyServerBuilder.forAddress(
                  new InetSocketAddress(config.security().joinAddress(), config.security().joinPort()), JoinTls.serverCredentials(security.tls().key()))
              .maxInboundMessageSize(64 << 10)
              .addService(new JoinApi(admission, security.authority().get().certificatePem()))
              .build()
              .start();
      log.info("coordinator {} admits hosts with join tokens on {}:{}", config.coordinatorId(), config.security().joinAddress(), joinServer.getPort());
    }
    metrics.gauges(
        helix.leadership()::isLeader,
        () -> hosts.hosts().stream().filter(h -> h.status() == HostStatus.ONLINE).count(),
        () -> hosts.hosts().stream().filter(h -> h.status() != HostStatus.ONLINE).count(),
        () -> (long) store.containers().size(),
        () -> store.operations().stream().filter(op -> !op.state().isFinal()).count());
    metricsServer = new MetricsHttpServer(config.listenAddress(), config.metricsPort(), metrics::scrape).start();
    session.announceCoordinator(config.coordinatorId(), config.listenAddress() + ":" + port());
    log.info("coordinator {} serving on {}:{}", config.coordinatorId(), config.listenAddress(), port());
    return this;
  }

  public int port() {
    return server.getPort();
  }

  /** The join endpoint's port; -1 when joining is off (no CA key, or {@code join.port=-1}). */
  public int joinPort() {
    return joinServer == null ? -1 : joinServer.getPort();
  }

  /** The cluster's revocation list as this coordinator holds it. */
  public ZkRevocations revocations() {
    return revocations;
  }

  /** The port {@code GET /metrics} is served on. */
  public int metricsPort() {
    return metricsServer.port();
  }

  /** True while this coordinator leads the cluster. */
  public boolean isLeader() {
    return helix != null && helix.leadership().isLeader();
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
    if (joinServer != null) {
      joinServer.shutdownNow();
    }
    if (server != null) {
      server.shutdown();
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    }
    closeAll(metricsServer, api, ha, duties, runner, agents, helix, store);
    if (session != null) {
      session.close();
    }
    if (zookeeper != null) {
      zookeeper.close();
    }
  }

  private static void closeAll(AutoCloseable... parts) {
    for (AutoCloseable part : parts) {
      if (part == null) {
        continue;
      }
      try {
        part.close();
      } catch (Exception e) {
        log.warn("closing {} failed: {}", part.getClass().getSimpleName(), e.toString());
      }
    }
  }
}
