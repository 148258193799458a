package io.ferry.agent;

import io.ferry.agent.api.AgentAccess;
import io.ferry.agent.api.AgentGrpcService;
import io.ferry.agent.api.MigrationGrpcService;
import io.ferry.agent.cluster.ClusterMember;
import io.ferry.agent.cluster.HelixClusterMember;
import io.ferry.agent.cluster.SessionFence;
import io.ferry.agent.cluster.ZkRevocationReader;
import io.ferry.agent.config.AgentConfig;
import io.ferry.agent.config.ClusterSettings;
import io.ferry.agent.host.HostFacts;
import io.ferry.agent.host.HostProbe;
import io.ferry.agent.images.ImageStore;
import io.ferry.agent.lifecycle.ContainerManager;
import io.ferry.agent.lifecycle.ContainerStatus;
import io.ferry.agent.lifecycle.Containers;
import io.ferry.agent.lifecycle.OperationObserver;
import io.ferry.agent.lifecycle.StopOptions;
import io.ferry.agent.metrics.AgentMetrics;
import io.ferry.agent.migration.AgentMigrations;
import io.ferry.agent.network.NetworkConfig;
import io.ferry.agent.network.NetworkManager;
import io.ferry.agent.network.OverlayPeerSync;
import io.ferry.agent.network.ReconcileReport;
import io.ferry.agent.runtime.runc.RuncRuntime;
import io.ferry.agent.security.HostJoin;
import io.ferry.agent.storage.RootfsStore;
import io.ferry.common.cluster.HostNetwork;
import io.ferry.common.cluster.HostRegistration;
import io.ferry.common.metrics.MetricsHttpServer;
import io.ferry.common.security.AccessInterceptor;
import io.ferry.common.security.ClusterTls;
import io.ferry.common.security.CredentialsException;
import io.ferry.common.security.FollowedRevocations;
import io.ferry.common.security.RevocationList;
import io.ferry.common.security.zookeeper.ZooKeeperTls;
import io.ferry.migration.protocol.HostCapabilities;
import io.ferry.migration.protocol.JournalStore;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running agent: probes the host, opens its image store, rootfs store, network and runtime,
 * finds the containers a previous agent process left (they keep running while no agent runs),
 * settles unfinished migrations from their journals, then serves {@code AgentService}, {@code
 * MigrationService}, the standard health service and reflection over gRPC (mutual TLS only, each
 * call checked by {@link AgentAccess}; a host without a certificate joins first with its join
 * token, see {@link HostJoin}), and
 * Prometheus metrics over HTTP. When configured with a cluster ({@code cluster.zookeeper}), it then
 * joins it in the background ({@link HelixClusterMember}) and leaves it first thing on close;
 * otherwise it stays standalone.
 *
 * <p>Lifecycle: {@link #start()} once, {@link #close()} once; not restartable. Closing the agent
 * never stops containers.
 */
public final class AgentServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(AgentServer.class);

  /** Bounded handler threads: runc and CRIU calls block, and each container allows one at a time. */
  private static final int RPC_THREADS = 32;

  private static final int MAX_INBOUND_MESSAGE_BYTES = 4 << 20;

  /**
   * HTTP/2 flow-control window per stream: migration streams carry ~1 MiB messages, and with
   * Netty's default window (1 MiB) each chunk waited for a window update (80 MB of CRIU images
   * moved at ~40 MB/s between two simulated hosts).
   */
  public static final int FLOW_CONTROL_WINDOW_BYTES = 16 << 20;

  private final AgentConfig config;
  private final HostFacts facts;
  private final HealthStatusManager health = new HealthStatusManager();
  private Server server;
  private MetricsHttpServer metricsServer;
  private ExecutorService rpcExecutor;
  private ExecutorService importWorkers;
  private ImageStore images;
  private Containers containers;
  private AgentMigrations migrations;
  private ClusterMember member;
  private SessionFence fence;
  private NetworkManager network;
  private OverlayPeerSync overlayPeers;
  private ZkRevocationReader revocations;
  private ClusterTls tls;

  public AgentServer(AgentConfig config) {
    this.config = config;
    this.facts =
        new HostProbe(config.runc(), config.criu(), config.stateDir())
            .probe(config.hostName(), AgentMain.version());
  }

  public AgentServer start() throws IOException {
    Clock clock = Clock.systemUTC();
    Files.createDirectories(config.stateDir());
    tls = security(clock);
    images = new ImageStore(config.stateDir().resolve("images"), config.imageLimits(), clock);
    RootfsStore storage = new RootfsStore(config.stateDir().resolve("containers"), config.commandTimeout(), clock);
    network = NetworkManager.open(config.network(), config.stateDir(), clock);
    network.ensureBridge();
    RuncRuntime runtime =
        new RuncRuntime(config.runc(), config.criu(), config.stateDir(), config.commandTimeout(), config.cgroupParent(),
            facts.criu().supports(HostCapabilities.NETWORK_LOCK_NFTABLES));
    AgentMetrics metrics = new AgentMetrics(config.hostName(), () -> containers.manager().countsByStatus());
    containers =
        new Containers(
            runtime, images, storage, network, config.stateDir().resolve("containers"), observer(metrics), clock, config.stopTimeout());
    // Unfinished outgoing migrations keep their frozen copies' links down: recovery leaves them.
    JournalStore journals = AgentMigrations.openJournals(config.stateDir());
    int recovered = containers.recover(AgentMigrations.heldContainers(journals));
    ReconcileReport leaks = network.reconcile();
    log.info("agent {}: {} container(s) recovered; network cleanup: {}", config.hostName(), recovered, leaks);

    migrations =
        new AgentMigrations(
            journals, config.migration(), containers, images, this::currentFacts, runtime.capabilities().checkpoint(),
            MigrationGrpcService::decodeSpec, config.commandTimeout(), config.stateDir(), clock, tls);
    migrations.recover();
    io.ferry.agent.replica.AgentReplicas replicas = new io.ferry.agent.replica.AgentReplicas(
        config.stateDir(), containers, images, MigrationGrpcService::decodeSpec, config.migration(), migrations::channel, clock);
    replicas.recover();

    rpcExecutor = boundedPool("agent-rpc", RPC_THREADS);
    importWorkers = Executors.newFixedThreadPool(4, named("image-import"));
    AccessInterceptor access = tls.interceptor(AgentAccess.policy());
    io.ferry.agent.security.RemovedHostGuard removed = new io.ferry.agent.security.RemovedHostGuard(tls);
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress(config.listenAddress(), config.listenPort()), tls.serverCredentials())
            .executor(rpcExecutor)
            .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
            .flowControlWindow(FLOW_CONTROL_WINDOW_BYTES)
            .addService(ServerInterceptors.intercept(new AgentGrpcService(
                    this::currentFacts, images, containers.manager(), containers.snapshots(), importWorkers), removed, access))
            .addService(ServerInterceptors.intercept(
                new MigrationGrpcService(migrations, replicas, containers.manager()), MigrationGrpcService.remoteAddressInterceptor(), removed, access))
            .addService(ServerInterceptors.intercept(health.getHealthService(), access))
            .addService(ServerInterceptors.intercept(ProtoReflectionServiceV1.newInstance(), access))
            .build()
            .start();
    metricsServer = new MetricsHttpServer(config.listenAddress(), config.metricsPort(), metrics::scrape).start();
    health.setStatus(AgentServiceGrpc.SERVICE_NAME, ServingStatus.SERVING);
    health.setStatus("", ServingStatus.SERVING);
    log.info(
        "agent {} serving on {}:{} (metrics on port {})",
        config.hostName(), config.listenAddress(), port(), metricsServer.port());
    if (config.cluster().clustered()) {
      joinCluster(config.cluster());
    } else if (config.network().overlay().enabled()) {
      log.warn("agent {}: the overlay is on but the agent joins no cluster: it has no peers to reach", config.hostName());
    }
    return this;
  }

  /**
   * The host's mTLS material: from {@code security.dir}, after joining with {@code join.token}
   * when the directory has no certificate yet. A clustered agent reads the revocation list from
   * ZooKeeper ({@link ZkRevocationReader}); a standalone one has none.
   *
   * @throws CredentialsException when there is no certificate and no token, the join is refused,
   *     or the certificate names another host
   */
  private ClusterTls security(Clock clock) throws IOException {
    // The list lives in ZooKeeper, which is reached with this very identity: it is followed once
    // the identity can connect.
    FollowedRevocations revoked = new FollowedRevocations();
    java.nio.file.Path dir = config.security().dir();
    if (!ClusterTls.hostFilesIn(dir)) {
      if (config.security().joinToken().isEmpty()) {
        throw new CredentialsException(
            "no host certificate in " + dir + " (security.dir): join with join.token=<token from `ferry host add "
                + config.hostName() + "`> and join.coordinator=HOST:PORT, or install ca.crt, host.crt and host.key there");
      }
      new HostJoin(config.hostName(), config.security(), joinAddresses(), clock).join();
    }
    ClusterTls loaded = ClusterTls.loadHost(dir, revoked, clock);
    if (!loaded.identity().name().equals(config.hostName())) {
      throw new CredentialsException(
          dir.resolve(ClusterTls.HOST_CERTIFICATE_FILE) + " is the certificate of " + loaded.identity() + ", not of host " + config.hostName());
    }
    if (config.cluster().clustered()) {
      if (config.cluster().zookeeperTls()) {
        ZooKeeperTls.install(loaded, dir.resolve("zookeeper-client"));
      }
      revocations = ZkRevocationReader.start(
          config.cluster().zookeeper(), config.cluster().clusterName(), config.cluster().sessionTimeout(),
          config.security().revocationRefresh());
      revoked.follow(revocations);
    }
    return loaded;
  }

  /** The addresses a joining host asks its certificate to be valid for: where peers dial it. */
  private java.util.List<String> joinAddresses() {
    java.util.List<String> addresses = new java.util.ArrayList<>();
    config.cluster().hostAddress().ifPresent(a -> addresses.add(hostPart(a)));
    if (!java.util.Set.of("0.0.0.0", "::", "[::]").contains(config.listenAddress()) && !addresses.contains(config.listenAddress())) {
      addresses.add(config.listenAddress());
    }
    return addresses;
  }

  private static String hostPart(String address) {
    int colon = address.lastIndexOf(':');
    String host = colon < 0 ? address : address.substring(0, colon);
    return host.replace("[", "").replace("]", "");
  }

  /** Starts joining; the API is already up, so coordinators can dial the host once they see it. */
  private void joinCluster(ClusterSettings cluster) {
    HostRegistration registration =
        cluster.registration(
            config.hostName(),
            config.listenAddress(),
            port(),
            facts.capacity().cpuCores(),
            facts.capacity().memoryBytes(),
            currentFacts().capacity().diskFreeBytes(),
            facts.agentVersion())
        .withNetwork(hostNetwork(config.network()));
    member = new HelixClusterMember(cluster.zookeeper(), cluster.clusterName(), registration, cluster.sessionTimeout());
    if (config.network().overlay().enabled()) {
      overlayPeers = new OverlayPeerSync(network, config.hostName(), config.network().overlay().resyncInterval());
      member.watchHosts(overlayPeers::membershipChanged);
    }
    member.join();
    ClusterMember joined = member;
    fence = new SessionFence(cluster.zookeeper(), cluster.sessionTimeout(), cluster.fenceDelay(), haContainers(), joined::sessionId,
        joined::liveSince).start();
    log.info(
        "agent {}: joining cluster {} through {} as {}",
        config.hostName(), cluster.clusterName(), cluster.zookeeper(), registration.address());
  }

  /** This host's HA containers, as the fence kills and restarts them. */
  private SessionFence.Guarded haContainers() {
    ContainerManager manager = containers.manager();
    return new SessionFence.Guarded() {
      @Override
      public java.util.List<SessionFence.RunningHa> runningHa() {
        return manager.list().stream()
            .filter(c -> c.record().ha() && c.status() == ContainerStatus.RUNNING)
            .map(c -> new SessionFence.RunningHa(c.record().name(), c.record().stateSince()))
            .toList();
      }

      @Override
      public void kill(String name) {
        manager.stop(name, StopOptions.FORCE);
      }

      @Override
      public void start(String name) {
        manager.start(name, false);
      }
    };
  }

  /** The fence of this host's HA containers; empty for a standalone agent. */
  public java.util.Optional<SessionFence> fence() {
    return java.util.Optional.ofNullable(fence);
  }

  /** What this host registers of its network: its subnet, and its underlay address with the overlay on. */
  static HostNetwork hostNetwork(NetworkConfig network) {
    return new HostNetwork(
        network.subnet().toString(),
        network.overlay().enabled() ? network.overlay().localAddress().orElseThrow().toString() : "");
  }

  /** True while this agent is a live member of its cluster; false when standalone. */
  public boolean clusterConnected() {
    return member != null && member.isConnected();
  }

  /** The bound gRPC port (useful when the configured port was 0). */
  public int port() {
    return server.getPort();
  }

  public int metricsPort() {
    return metricsServer.port();
  }

  public HostFacts facts() {
    return facts;
  }

  private HostFacts currentFacts() {
    long[] disk = HostProbe.disk(config.stateDir());
    return facts.withDisk(disk[0], disk[1]);
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
    if (fence != null) {
      fence.close();
    }
    if (member != null) {
      member.close();
    }
    if (overlayPeers != null) {
      overlayPeers.close();
    }
    health.enterTerminalState();
    if (server != null) {
      server.shutdown();
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    }
    if (metricsServer != null) {
      metricsServer.close();
    }
    if (rpcExecutor != null) {
      rpcExecutor.shutdownNow();
      importWorkers.shutdownNow();
    }
    if (migrations != null) {
      migrations.close();
    }
    if (containers != null) {
      containers.close();
    }
    if (revocations != null) {
      revocations.close();
    }
    if (images != null) {
      images.close();
    }
  }

  private static OperationObserver observer(AgentMetrics metrics) {
    return new OperationObserver() {
      @Override
      public void succeeded(String operation, Duration elapsed) {
        metrics.recordOperation(operation, elapsed);
      }

      @Override
      public void failed(String operation, String kind) {
        metrics.recordError(operation, kind);
      }
    };
  }

  private static ExecutorService boundedPool(String name, int threads) {
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1024), named(name));
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  private static ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
