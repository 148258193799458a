package io.ferry.agent.migration;

import io.ferry.agent.host.HostFacts;
import io.ferry.agent.images.ImageStore;
import io.ferry.agent.lifecycle.Containers;
import io.ferry.agent.lifecycle.CreateSpec;
import io.ferry.common.process.Command;
import io.ferry.migration.protocol.HostCapabilities;
import io.ferry.migration.protocol.JournalStore;
import io.ferry.migration.protocol.MigrationSettings;
import io.ferry.migration.source.GrpcTargetPeer;
import io.ferry.migration.source.SourceMigrations;
import io.ferry.migration.target.GrpcSourcePeer;
import io.ferry.migration.target.IncomingMigrations;
import io.ferry.migration.transfer.TarStreams;
import io.ferry.common.security.ClusterTls;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live migration on this agent, assembled: the journals ({@code <state>/migrations}), the source
 * and target sides over the agent's lifecycle and images, the connections to peer agents, and
 * the executors (named, bounded) they run on.
 *
 * <p>Lifecycle: {@link #openJournals} before the containers are recovered (so that recovery leaves
 * held containers' links alone: {@link #heldContainers}), then the constructor, {@link #recover()}
 * once the containers are recovered, {@link #close()} last. Closing leaves every held copy as it
 * is: the next agent process recovers it from the journals.
 */
public final class AgentMigrations implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(AgentMigrations.class);

  /** Concurrent outgoing transfers; more wait in a queue of {@link #OUTGOING_QUEUED}. */
  private static final int OUTGOING = 4;
  /**
   * Outgoing transfers that may wait for a worker; beyond, a move is refused with
   * RESOURCE_EXHAUSTED. A worker is freed a moment after its caller heard of the end, so a
   * coordinator moving {@code OUTGOING} at a time (an evacuation) starts the next ones while the
   * last ones' workers are still returning: seen once in CI with a queue of 1.
   */
  private static final int OUTGOING_QUEUED = 16;

  private final JournalStore store;
  private final MigrationSettings settings;
  private final ImageStore images;
  private final ClusterTls tls;
  private final ExecutorService workers;
  private final ExecutorService streams = Executors.newFixedThreadPool(4, named("migration-stream"));
  private final ScheduledExecutorService timer;
  private final SourceMigrations source;
  private final IncomingMigrations incoming;

  /**
   * @param facts this host's probed facts (CRIU)
   * @param runtimeCheckpoints the runtime can checkpoint (CRIU is configured)
   * @param specs decodes a received {@code ferry.v1.ContainerSpec}
   * @param commandTimeout the agent's runc/criu timeout, from which restore deadlines derive
   */
  public AgentMigrations(
      JournalStore store, MigrationSettings settings, Containers containers, ImageStore images, Supplier<HostFacts> facts,
      boolean runtimeCheckpoints, Function<byte[], CreateSpec> specs, Duration commandTimeout, Path stateDir, Clock clock,
      ClusterTls tls) {
    this.tls = tls;
    this.store = store;
    this.settings = settings;
    this.images = images;
    ensurePipeSize();
    Supplier<HostCapabilities> caps = () -> capabilities(facts.get(), runtimeCheckpoints);
    LongSupplier diskFree = () -> stateDir.toFile().getUsableSpace();
    TarStreams tar = new TarStreams(store.dir().resolve("tmp"));
    this.workers = new ThreadPoolExecutor(OUTGOING, OUTGOING, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(OUTGOING_QUEUED), named("migration-out"));
    ((ThreadPoolExecutor) workers).allowCoreThreadTimeOut(true);
    this.timer = Executors.newSingleThreadScheduledExecutor(named("migration-settle"));
    Duration restoreTimeout = commandTimeout.multipliedBy(2).plus(settings.rpcTimeout());
    this.source = new SourceMigrations(store,
        new AgentSourceHost(containers.migrations(), caps, settings.timeout()),
        (address, id, token) -> new GrpcTargetPeer(channel(address), id, token, settings, restoreTimeout),
        settings, clock, tar, workers, timer);
    this.incoming = new IncomingMigrations(store,
        new AgentTargetHost(containers.migrations(), images, specs, caps, diskFree, settings.timeout()),
        (address, id, token) -> new GrpcSourcePeer(channel(address), id, token, settings.timeout()),
        settings, clock, tar);
  }

  /** The journal store of an agent's state directory. */
  public static JournalStore openJournals(Path stateDir) {
    return new JournalStore(stateDir.resolve("migrations"));
  }

  /** Containers whose network recovery must leave alone (held by unfinished outgoing migrations). */
  public static Set<String> heldContainers(JournalStore store) {
    return SourceMigrations.heldContainers(store);
  }

  /** Takes the held containers again and settles what can be settled; then starts settling periodically. */
  public void recover() {
    incoming.recover();
    source.recover();
    source.start();
  }

  public SourceMigrations source() {
    return source;
  }

  public IncomingMigrations incoming() {
    return incoming;
  }

  public MigrationSettings settings() {
    return settings;
  }

  public ImageStore images() {
    return images;
  }

  /** Runs server-side streams (FetchImage) off the gRPC call's executor. */
  public ExecutorService streams() {
    return streams;
  }

  public TarStreams tar() {
    return new TarStreams(store.dir().resolve("tmp"));
  }

  @Override
  public void close() {
    source.close();
    timer.shutdownNow();
    workers.shutdownNow();
    streams.shutdownNow();
  }

  static HostCapabilities capabilities(HostFacts facts, boolean runtimeCheckpoints) {
    HostFacts.CriuFacts criu = facts.criu();
    boolean usable = runtimeCheckpoints && criu.available() && criu.checkPassed();
    String problem = usable ? "" : !runtimeCheckpoints ? "the runtime has no CRIU configured"
        : !criu.available() ? criu.detail() : "criu check failed: " + criu.detail();
    Set<String> features = criu.features().stream().filter(HostFacts.CriuFeature::supported)
        .map(HostFacts.CriuFeature::name).collect(Collectors.toSet());
    return new HostCapabilities(facts.hostName(), usable, problem, features);
  }

  /** A channel to a peer agent: mutual TLS with this agent's host certificate. The caller closes it. */
  public ManagedChannel channel(String address) {
    return NettyChannelBuilder.forTarget(address, tls.channelCredentials()).maxInboundMessageSize(8 << 20)
        .flowControlWindow(io.ferry.agent.AgentServer.FLOW_CONTROL_WINDOW_BYTES).build();
  }

  /**
   * CRIU's lazy pages need pipes of 4 MiB ({@code fs.pipe-max-size}); the kernel's default is 1
   * MiB. Raised here when lower (host setup should do it too); a failure is logged, and post-copy
   * then fails with CRIU's words.
   */
  private static void ensurePipeSize() {
    Path sysctl = Path.of("/proc/sys/fs/pipe-max-size");
    try {
      long current = Long.parseLong(Files.readString(sysctl).strip());
      if (current < (4 << 20)) {
        Command.of("sysctl", "-w", "fs.pipe-max-size=4194304").timeout(Duration.ofSeconds(5)).check();
        log.info("fs.pipe-max-size raised from {} to 4194304 for CRIU's lazy pages", current);
      }
    } catch (Exception e) {
      log.warn("cannot make sure fs.pipe-max-size >= 4 MiB (post-copy needs it): {}", e.getMessage());
    }
  }

  private static java.util.concurrent.ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
