package io.ferry.coordinator.config;

import io.ferry.common.ByteSize;
import io.ferry.common.Names;
import io.ferry.common.config.ConfigException;
import io.ferry.common.config.Settings;
import io.ferry.coordinator.network.ClusterNetwork;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The coordinator's configuration, read once at start and immutable afterwards.
 *
 * <p>ZooKeeper: with {@code zookeeper.connect} empty (the default) the coordinator runs an
 * embedded single-node ZooKeeper on {@code zookeeper.embedded.port}, which suits one machine; in
 * production {@code zookeeper.connect} names an external ensemble ({@code host:port,...}).
 *
 * @param clusterName the cluster's name; also the root of its ZooKeeper tree
 * @param coordinatorId this coordinator's identity among its peers
 * @param listenAddress address the public gRPC API binds; loopback by default
 * @param listenPort public API port; 0 picks a free one (tests)
 * @param zookeeperConnect external ensemble, or empty for the embedded server
 * @param embeddedZookeeper where and how to run the embedded server when used
 * @param zookeeperTls {@code zookeeper.tls}, default true: ZooKeeper is reached (and the embedded
 *     server serves) over mutual TLS with this coordinator's host certificate, and Ferry's znodes
 *     are granted to the cluster's hosts only; false only for an external ensemble without TLS
 * @param sessionTimeout ZooKeeper session timeout: how long until a dead coordinator or agent is
 *     noticed. Seconds, not Helix's 30 s default.
 * @param rebalanceDelay Helix's delayed-rebalance window ({@code cluster.rebalance.delay}): how
 *     long a host may be gone before Helix moves what it held, so a restarting agent moves nothing
 * @param work how operations and upkeep run
 * @param metricsPort where {@code GET /metrics} is served (Prometheus), on the listen address
 * @param network the cluster's container network ({@code network.subnet}, default {@value
 *     ClusterNetwork#DEFAULT_SUBNET}): containers' addresses come from it, hosts must serve it
 * @param security where the cluster CA and this coordinator's certificate are ({@code security.*},
 *     {@code join.port} keys)
 */
public record CoordinatorConfig(
    String clusterName,
    String coordinatorId,
    String listenAddress,
    int listenPort,
    String zookeeperConnect,
    EmbeddedZooKeeperConfig embeddedZookeeper,
    boolean zookeeperTls,
    Duration sessionTimeout,
    Duration rebalanceDelay,
    WorkConfig work,
    int metricsPort,
    ClusterNetwork network,
    SecurityConfig security) {

  public static final Path DEFAULT_CONFIG_FILE = Path.of("/etc/ferry/coordinator.properties");
  public static final int DEFAULT_PORT = 7700;
  public static final Duration DEFAULT_REBALANCE_DELAY = Duration.ofSeconds(30);

  /**
   * @param address the address the client port binds: loopback by default; the quickstart binds
   *     its bridge's address so agents in their network namespaces can reach it
   * @param port client port
   * @param dataDir snapshots and transaction log
   * @param tickTime ZooKeeper's time unit; sessions may last 2 to 20 ticks
   */
  public record EmbeddedZooKeeperConfig(String address, int port, Path dataDir, Duration tickTime) {
    /** Loopback only. */
    public EmbeddedZooKeeperConfig(int port, Path dataDir, Duration tickTime) {
      this("127.0.0.1", port, dataDir, tickTime);
    }
  }

  /**
   * @param agentCallTimeout deadline of ordinary calls to agents (create, start, stop add the
   *     container's stop timeout)
   * @param syncInterval how often hosts are asked for their images and containers' states
   * @param keepEnded how long ended operations stay readable
   * @param threads operations running at once on the leader
   * @param spoolDir where image imports wait before going to the hosts
   * @param maxImageArchive the largest image archive an import may send
   * @param migrationTimeout the longest a migration's transfer may take before it is rolled back
   */
  /**
   * How operations and upkeep run.
   *
   * @param haReplicaInterval {@code ha.replica-interval}: how often an HA container's standby
   *     replica is refreshed (default 30 s): the bound on what a failover loses
   * @param haFailoverMargin {@code ha.failover-margin}: how long after its host went offline (its
   *     session expired) an HA container is restarted on its standby (default 1 s)
   */
  public record WorkConfig(
      Duration agentCallTimeout, Duration syncInterval, Duration keepEnded, int threads, Path spoolDir, ByteSize maxImageArchive, Duration migrationTimeout,
      Duration haReplicaInterval, Duration haFailoverMargin) {}

  /**
   * @param dir {@code security.dir}: {@code ca.crt}, optionally {@code ca.key} (0600; needed to
   *     admit hosts with join tokens), optionally {@code host.crt}/{@code host.key} (the
   *     coordinator's own; issued in memory from the CA key when absent). See {@code
   *     CoordinatorSecurity}.
   * @param addresses {@code security.addresses}: extra DNS names or IP literals for the
   *     coordinator's own certificate besides its listen address (e.g. the address clients dial
   *     when it listens on a wildcard)
   * @param joinAddress {@code join.address}: the address the join endpoint binds (default the
   *     listen address; the quickstart binds its bridge so agents in their namespaces reach it);
   *     also put in the coordinator's own certificate
   * @param joinPort {@code join.port}: the join endpoint (server-authenticated TLS, the Join RPC
   *     only); 0 picks a free one; -1 turns joining off
   * @param joinTokenLifetime {@code join.token-lifetime}: how long a new join token stays usable
   */
  public record SecurityConfig(Path dir, java.util.List<String> addresses, String joinAddress, int joinPort, Duration joinTokenLifetime) {
    public SecurityConfig {
      addresses = java.util.List.copyOf(addresses);
      if (joinPort < -1 || joinPort > 65535) {
        throw new ConfigException("join.port", "join.port out of range: " + joinPort);
      }
    }
  }

  public static final int DEFAULT_JOIN_PORT = 7702;

  public CoordinatorConfig {
    Names.require("cluster", clusterName);
    Names.require("coordinator", coordinatorId);
    if (sessionTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new ConfigException("zookeeper.session-timeout", "zookeeper.session-timeout must be at least 1s");
    }
    if (zookeeperConnect.isEmpty()
        && sessionTimeout.compareTo(embeddedZookeeper.tickTime().multipliedBy(20)) > 0) {
      throw new ConfigException(
          "zookeeper.session-timeout",
          "zookeeper.session-timeout "
              + sessionTimeout.toMillis()
              + "ms exceeds 20 x zookeeper.embedded.tick-time: the server would shorten it");
    }
    if (rebalanceDelay.isNegative()) {
      throw new ConfigException("cluster.rebalance.delay", "cluster.rebalance.delay cannot be negative");
    }
    if (network == null) {
      throw new ConfigException(ClusterNetwork.KEY_SUBNET, ClusterNetwork.KEY_SUBNET + " is required");
    }
  }

  /** True when this coordinator runs its own single-node ZooKeeper. */
  public boolean embedded() {
    return zookeeperConnect.isEmpty();
  }

  /** The connection string clients use: the external ensemble or the embedded server. */
  public String connectString() {
    return embedded() ? embeddedZookeeper.address() + ":" + embeddedZookeeper.port() : zookeeperConnect;
  }

  /**
   * Reads the configuration from a properties file plus command-line overrides.
   *
   * @throws ConfigException naming the key on any bad or unknown value
   */
  public static CoordinatorConfig load(Path configFile, Map<String, String> overrides) {
    Settings s = Settings.load(configFile).with(overrides);
    CoordinatorConfig config =
        new CoordinatorConfig(
            s.string("cluster.name", "ferry"),
            s.string("coordinator.id", "coordinator-1"),
            s.string("listen.address", "127.0.0.1"),
            s.port("listen.port", DEFAULT_PORT),
            s.string("zookeeper.connect", ""),
            new EmbeddedZooKeeperConfig(
                s.string("zookeeper.embedded.address", "127.0.0.1"),
                s.port("zookeeper.embedded.port", 2181),
                s.path("zookeeper.embedded.data-dir", Path.of("/var/lib/ferry/zookeeper")),
                s.duration("zookeeper.embedded.tick-time", Duration.ofMillis(500))),
            s.flag("zookeeper.tls", true),
            s.duration("zookeeper.session-timeout", Duration.ofSeconds(6)),
            s.duration("cluster.rebalance.delay", DEFAULT_REBALANCE_DELAY),
            new WorkConfig(
                s.duration("agent.call-timeout", Duration.ofSeconds(60)),
                s.duration("sync.interval", Duration.ofSeconds(5)),
                s.duration("operations.keep-ended", Duration.ofHours(1)),
                s.integer("operations.threads", 32, 1, 1024),
                s.path("images.spool-dir", Path.of("/var/lib/ferry/coordinator/spool")),
                s.size("images.max-archive", ByteSize.parse("16GiB")),
                s.duration("migration.timeout", Duration.ofMinutes(30)),
                s.duration("ha.replica-interval", Duration.ofSeconds(30)),
                s.duration("ha.failover-margin", Duration.ofSeconds(1))),
            s.port("metrics.port", 9700),
            ClusterNetwork.parse(s.string(ClusterNetwork.KEY_SUBNET, ClusterNetwork.DEFAULT_SUBNET)),
            new SecurityConfig(
                s.path("security.dir", Path.of("/etc/ferry/security")),
                java.util.Arrays.stream(s.string("security.addresses", "").split(",")).map(String::strip).filter(a -> !a.isEmpty()).toList(),
                s.string("join.address", s.string("listen.address", "127.0.0.1")),
                s.integer("join.port", DEFAULT_JOIN_PORT, -1, 65535),
                s.duration("join.token-lifetime", Duration.ofHours(1))));
    s.rejectUnknownKeys();
    return config;
  }
}
