package io.ferry.agent.config;

import io.ferry.agent.images.ImageLimits;
import io.ferry.agent.network.NetworkConfig;
import io.ferry.migration.protocol.MigrationSettings;
import io.ferry.common.ByteSize;
import io.ferry.common.Names;
import io.ferry.common.config.ConfigException;
import io.ferry.common.config.Settings;
import io.ferry.common.net.Ipv4Cidr;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The agent's configuration, read once at start and immutable afterwards.
 *
 * <p>Sources, later ones winning: built-in defaults; {@code /etc/ferry/host.env}, written by
 * {@code deploy/host-setup.sh}, which tells where runc and CRIU are ({@code FERRY_RUNC}, {@code
 * FERRY_CRIU}); the agent's properties file; {@code key=value} overrides from the command line.
 * Unknown keys in the properties file or the overrides fail the start.
 *
 * @param hostName this host's name in the cluster (a DNS label)
 * @param listenAddress address the gRPC server binds; loopback by default
 * @param listenPort gRPC port; 0 picks a free one (tests)
 * @param stateDir where images, rootfs layers and container state live
 * @param runc the runc binary
 * @param criu the CRIU binary runc is told to use (CRIU 4.2.1 built by host setup)
 * @param commandTimeout the longest any single runc/criu invocation may take, unless an operation
 *     sets its own
 * @param stopTimeout how long a clean stop waits for init before killing it
 * @param metricsPort HTTP port of {@code /metrics} (Prometheus); 0 picks a free one
 * @param network the host's container bridge and address range ({@code network.*} keys)
 * @param imageLimits what an imported image may cost ({@code images.*} keys)
 * @param cluster whether and how the agent joins a cluster ({@code cluster.*}, {@code host.*},
 *     {@code capacity.*} keys); standalone by default
 * @param cgroupParent the cgroup containers go under ({@code runtime.cgroup-parent}, {@code
 *     /ferry}); agents sharing one machine as simulated hosts need one each
 * @param migration how migrations run ({@code migration.*} keys, see {@link #loadMigration})
 * @param security mutual TLS and joining ({@code security.*}, {@code join.*} keys)
 */
public record AgentConfig(
    String hostName,
    String listenAddress,
    int listenPort,
    Path stateDir,
    Path runc,
    Path criu,
    Duration commandTimeout,
    Duration stopTimeout,
    int metricsPort,
    NetworkConfig network,
    ImageLimits imageLimits,
    ClusterSettings cluster,
    String cgroupParent,
    MigrationSettings migration,
    SecuritySettings security) {

  public static final Path DEFAULT_CONFIG_FILE = Path.of("/etc/ferry/agent.properties");
  public static final Path HOST_ENV_FILE = Path.of("/etc/ferry/host.env");
  public static final int DEFAULT_PORT = 7701;
  public static final int DEFAULT_METRICS_PORT = 9701;

  public AgentConfig {
    Names.require("host", hostName);
    if (listenPort < 0 || listenPort > 65535) {
      throw new ConfigException("listen.port", "listen.port out of range: " + listenPort);
    }
  }

  /**
   * Reads the configuration.
   *
   * @param configFile the properties file; absent means defaults only
   * @param hostEnv host-setup's facts file; absent means standard paths
   * @param overrides command-line {@code key=value} pairs
   * @throws ConfigException naming the key on any bad or unknown value
   */
  public static AgentConfig load(Path configFile, Path hostEnv, Map<String, String> overrides) {
    Map<String, String> facts = readEnvFile(hostEnv);
    Settings s = Settings.load(configFile).with(overrides);
    String hostName = s.string("host.name", defaultHostName());
    Names.require("host", hostName);
    String listenAddress = s.string("listen.address", "127.0.0.1");
    Path stateDir = s.path("state.dir", Path.of("/var/lib/ferry/agent"));
    AgentConfig config =
        new AgentConfig(
            hostName,
            listenAddress,
            s.port("listen.port", DEFAULT_PORT),
            stateDir,
            s.path("runtime.runc", Path.of(facts.getOrDefault("FERRY_RUNC", "/usr/sbin/runc"))),
            s.path("runtime.criu", Path.of(facts.getOrDefault("FERRY_CRIU", "/opt/ferry/bin/criu"))),
            s.duration("command.timeout", Duration.ofSeconds(60)),
            s.duration("stop.timeout", Duration.ofSeconds(10)),
            s.port("metrics.port", DEFAULT_METRICS_PORT),
            NetworkConfig.load(s, hostName, configuredIpv4(s.string(ClusterSettings.KEY_HOST_ADDRESS, null), listenAddress)),
            new ImageLimits(
                s.size("images.max-archive-size", ImageLimits.DEFAULTS.maxArchive()),
                s.size("images.max-unpacked-size", ImageLimits.DEFAULTS.maxUnpacked()),
                s.integer("images.max-entries", (int) ImageLimits.DEFAULTS.maxEntries(), 1, Integer.MAX_VALUE),
                s.flag("images.allow-setuid", ImageLimits.DEFAULTS.allowSetuid()),
                s.duration("images.tar-timeout", ImageLimits.DEFAULTS.tarTimeout())),
            ClusterSettings.load(s, listenAddress),
            s.string("runtime.cgroup-parent", "/ferry"),
            loadMigration(s),
            new SecuritySettings(
                s.path(SecuritySettings.KEY_DIR, stateDir.resolve("security")),
                Optional.ofNullable(s.string(SecuritySettings.KEY_JOIN_TOKEN, null)).filter(t -> !t.isBlank()),
                Optional.ofNullable(s.string(SecuritySettings.KEY_JOIN_COORDINATOR, null)).filter(t -> !t.isBlank()),
                s.duration(SecuritySettings.KEY_REVOCATION_REFRESH, Duration.ofSeconds(10))));
    s.rejectUnknownKeys();
    return config;
  }

  /**
   * The host's own IPv4 address as configured, if it is one: the host part of {@code host.address},
   * else {@code listen.address}, when that is an IPv4 literal other than the wildcard. Nothing is
   * looked up or probed: a name or an IPv6 address gives nothing.
   */
  static Optional<String> configuredIpv4(String hostAddress, String listenAddress) {
    if (hostAddress != null) {
      int colon = hostAddress.lastIndexOf(':');
      String host = colon < 0 ? hostAddress : hostAddress.substring(0, colon);
      return Ipv4Cidr.isAddress(host) ? Optional.of(host) : Optional.empty();
    }
    return Ipv4Cidr.isAddress(listenAddress) && !listenAddress.equals("0.0.0.0") ? Optional.of(listenAddress) : Optional.empty();
  }

  /**
   * The {@code migration.*} keys: {@code timeout} (one transfer, default 30m), {@code rpc-timeout}
   * (each short call to the peer agent, 30s), {@code max-incoming-bytes} (one received stream,
   * 256GiB), {@code disk-reserve} (free space a target keeps, 512MiB), {@code resolve-interval}
   * (how often a source asks a target about unsettled migrations, 10s), {@code
   * stream-pages-above} (live mode streams memory pages while CRIU dumps them for containers
   * using at least this much memory, 32MiB), and {@code
   * fault-injection} (tests only: none, target-restore, target-receive-break,
   * target-receive-stall, source-dump, target-crash-after-restore).
   */
  static MigrationSettings loadMigration(Settings s) {
    MigrationSettings d = MigrationSettings.DEFAULTS;
    String fault = s.string("migration.fault-injection", "none");
    MigrationSettings.FaultPoint point;
    try {
      point = MigrationSettings.FaultPoint.valueOf(fault.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("migration.fault-injection", "migration.fault-injection: unknown fault '" + fault + "'");
    }
    try {
      return new MigrationSettings(
          s.duration("migration.timeout", d.timeout()),
          s.duration("migration.rpc-timeout", d.rpcTimeout()),
          s.size("migration.max-incoming-bytes", ByteSize.ofBytes(d.maxIncomingBytes())).bytes(),
          s.size("migration.disk-reserve", ByteSize.ofBytes(d.diskReserveBytes())).bytes(),
          s.duration("migration.resolve-interval", d.resolveInterval()),
          point,
          s.size("migration.stream-pages-above", ByteSize.ofBytes(d.streamPagesAbove())).bytes());
    } catch (IllegalArgumentException e) {
      throw new ConfigException("migration", "migration settings: " + e.getMessage());
    }
  }

  /** Parses {@code KEY=value} lines, ignoring blank lines and {@code #} comments. */
  static Map<String, String> readEnvFile(Path file) {
    Map<String, String> values = new LinkedHashMap<>();
    if (file == null || !Files.exists(file)) {
      return values;
    }
    try {
      for (String line : Files.readAllLines(file)) {
        String trimmed = line.strip();
        int eq = trimmed.indexOf('=');
        if (trimmed.isEmpty() || trimmed.startsWith("#") || eq <= 0) {
          continue;
        }
        String value = trimmed.substring(eq + 1).strip();
        if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\""))) {
          value = value.substring(1, value.length() - 1);
        }
        values.put(trimmed.substring(0, eq).strip(), value);
      }
    } catch (IOException e) {
      throw new ConfigException(null, "cannot read " + file + ": " + e.getMessage());
    }
    return values;
  }

  private static String defaultHostName() {
    try {
      String name = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip().toLowerCase();
      return Names.problem("host", name) == null ? name : "host";
    } catch (IOException e) {
      return "host";
    }
  }
}
