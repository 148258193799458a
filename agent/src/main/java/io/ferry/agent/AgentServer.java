package io.ferry.agent;

import io.ferry.agent.api.AgentGrpcService;
import io.ferry.agent.api.MigrationGrpcService;
import io.ferry.agent.migration.AgentMigrations;
import io.ferry.migration.protocol.JournalStore;
import io.grpc.ServerInterceptors;
import io.ferry.agent.cluster.ClusterMember;
import io.ferry.agent.cluster.HelixClusterMember;
import io.ferry.agent.config.AgentConfig;
import io.ferry.agent.config.ClusterSettings;
import io.ferry.agent.host.HostFacts;
import io.ferry.agent.host.HostProbe;
import io.ferry.agent.images.ImageStore;
import io.ferry.agent.lifecycle.Containers;
import io.ferry.agent.lifecycle.OperationObserver;
import io.ferry.agent.metrics.AgentMetrics;
import io.ferry.agent.network.NetworkConfig;
import io.ferry.agent.network.NetworkManager;
import io.ferry.agent.network.OverlayPeerSync;
import io.ferry.agent.network.ReconcileReport;
import io.ferry.agent.runtime.runc.RuncRuntime;
import io.ferry.agent.storage.RootfsStore;
import io.ferry.common.metrics.MetricsHttpServer;
import io.ferry.common.cluster.HostNetwork;
import io.ferry.common.cluster.HostRegistration;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.grpc.Server;
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
 * MigrationService}, the standard health service and reflection over gRPC, and
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
  private NetworkManager network;
  private OverlayPeerSync overlayPeers;

  public AgentServer(AgentConfig config) {
    this.config = config;
    this.facts =
        new HostProbe(config.runc(), config.criu(), config.stateDir())
            .probe(config.hostName(), AgentMain.version());
  }

  public AgentServer start() throws IOException {
    Clock clock = Clock.systemUTC();
    Files.createDirectories(config.stateDir());
    images = new ImageStore(config.stateDir().resolve("images"), config.imageLimits(), clock);
    RootfsStore storage = new RootfsStore(config.stateDir().resolve("containers"), config.commandTimeout(), clock);
    network = NetworkManager.open(config.network(), config.stateDir(), clock);
    network.ensureBridge();
    RuncRuntime runtime =
        new RuncRuntime(config.runc(), config.criu(), config.stateDir(), config.commandTimeout(), config.cgroupParent());
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
            MigrationGrpcService::decodeSpec, config.commandTimeout(), config.stateDir(), clock);
    migrations.recover();

    rpcExecutor = boundedPool("agent-rpc", RPC_THREADS);
    importWorkers = Executors.newFixedThreadPool(4, named("image-import"));
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress(config.listenAddress(), config.listenPort()))
            .executor(rpcExecutor)
            .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
            .flowControlWindow(FLOW_CONTROL_WINDOW_BYTES)
            .addService(new AgentGrpcService(
                    this::currentFacts, images, containers.manager(), containers.snapshots(), importWorkers))
            .addService(ServerInterceptors.intercept(
                new MigrationGrpcService(migrations, containers.manager()), MigrationGrpcService.remoteAddressInterceptor()))
            .addService(health.getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance())
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
    log.info(
        "agent {}: joining cluster {} through {} as {}",
        config.hostName(), cluster.clusterName(), cluster.zookeeper(), registration.address());
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
