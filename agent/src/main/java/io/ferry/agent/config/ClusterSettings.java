package io.ferry.agent.config;

import io.ferry.common.ByteSize;
import io.ferry.common.Names;
import io.ferry.common.cluster.HostLabels;
import io.ferry.common.cluster.HostRegistration;
import io.ferry.common.config.ConfigException;
import io.ferry.common.config.Settings;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * How the agent joins a Ferry cluster ({@code cluster.*}, {@code host.address}, {@code
 * host.labels} and {@code capacity.*} keys). With {@code cluster.zookeeper} empty, the default,
 * the agent is standalone: it joins no cluster and is driven directly over its API.
 *
 * @param zookeeper the ZooKeeper ensemble, {@code host:port[,host:port...]}; empty for standalone
 * @param zookeeperTls {@code cluster.zookeeper.tls}, default true: ZooKeeper is reached over mutual
 *     TLS with the host's certificate (as the coordinator's embedded server requires); false only
 *     for an external ensemble without TLS
 * @param clusterName the Ferry cluster to join (a DNS label)
 * @param sessionTimeout the ZooKeeper session timeout: how long after a crash coordinators see this
 *     host gone; seconds, not Helix's 30 s default
 * @param fenceDelay {@code cluster.fence.delay}: how long a noticed disconnection from ZooKeeper
 *     may last before this host kills its HA containers (default a sixth of the session timeout;
 *     must stay under a third of it so the kill lands before the session expires, see {@code
 *     SessionFence})
 * @param hostAddress where coordinators dial this agent ({@code host:port}); absent means {@code
 *     listen.address:port}, which is refused for a wildcard listen address
 * @param labels the host's labels, e.g. {@code zone=a,ssd=true}
 * @param cpuMillis CPU offered to containers in thousandths of a core; absent means all cores
 * @param memory memory offered to containers; absent means all of the host's memory
 * @param disk disk offered to containers; absent means the free space of {@code state.dir}
 */
public record ClusterSettings(
    String zookeeper,
    boolean zookeeperTls,
    String clusterName,
    Duration sessionTimeout,
    Duration fenceDelay,
    Optional<String> hostAddress,
    Map<String, String> labels,
    OptionalLong cpuMillis,
    Optional<ByteSize> memory,
    Optional<ByteSize> disk) {

  public static final String KEY_ZOOKEEPER = "cluster.zookeeper";
  public static final String KEY_ZOOKEEPER_TLS = "cluster.zookeeper.tls";
  public static final String KEY_NAME = "cluster.name";
  public static final String KEY_SESSION_TIMEOUT = "cluster.session.timeout";
  public static final String KEY_FENCE_DELAY = "cluster.fence.delay";
  public static final String KEY_HOST_ADDRESS = "host.address";
  public static final String KEY_LABELS = "host.labels";
  public static final String KEY_CPU_MILLIS = "capacity.cpu.millis";
  public static final String KEY_MEMORY = "capacity.memory";
  public static final String KEY_DISK = "capacity.disk";

  public static final String DEFAULT_CLUSTER = "ferry";
  public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(6);

  private static final Set<String> WILDCARDS = Set.of("0.0.0.0", "::", "[::]");

  public ClusterSettings {
    Objects.requireNonNull(zookeeper, KEY_ZOOKEEPER);
    if (Names.problem("cluster", clusterName) != null) {
      throw new ConfigException(KEY_NAME, KEY_NAME + ": " + Names.problem("cluster", clusterName));
    }
    if (sessionTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new ConfigException(KEY_SESSION_TIMEOUT, KEY_SESSION_TIMEOUT + " must be at least 1s: " + sessionTimeout);
    }
    if (fenceDelay.isNegative() || fenceDelay.multipliedBy(3).compareTo(sessionTimeout) >= 0) {
      throw new ConfigException(KEY_FENCE_DELAY, KEY_FENCE_DELAY + " must be under a third of " + KEY_SESSION_TIMEOUT
          + " (the kill must land before the session expires): " + fenceDelay);
    }
    hostAddress.ifPresent(address -> {
      String problem = HostRegistration.addressProblem(address);
      if (problem != null) {
        throw new ConfigException(KEY_HOST_ADDRESS, KEY_HOST_ADDRESS + ": " + problem);
      }
    });
    try {
      labels = HostLabels.copyOf(labels);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(KEY_LABELS, KEY_LABELS + ": " + e.getMessage());
    }
    Objects.requireNonNull(cpuMillis, KEY_CPU_MILLIS);
    Objects.requireNonNull(memory, KEY_MEMORY);
    Objects.requireNonNull(disk, KEY_DISK);
  }

  /** A standalone agent: no cluster. */
  public static ClusterSettings standalone() {
    return new ClusterSettings(
        "", true, DEFAULT_CLUSTER, DEFAULT_SESSION_TIMEOUT, io.ferry.agent.cluster.SessionFence.defaultDelay(DEFAULT_SESSION_TIMEOUT), Optional.empty(), Map.of(),
        OptionalLong.empty(), Optional.empty(), Optional.empty());
  }

  /** True when the agent joins a cluster. */
  public boolean clustered() {
    return !zookeeper.isEmpty();
  }

  /**
   * Reads the keys, defaults for absent ones. The caller calls {@link
   * Settings#rejectUnknownKeys()} afterwards, as for its own keys.
   *
   * @param listenAddress the agent's {@code listen.address}, the default host of {@code
   *     host.address}
   * @throws ConfigException naming the key of a malformed value, or {@code host.address} when a
   *     clustered agent listens on a wildcard address and does not say where to dial it
   */
  public static ClusterSettings load(Settings s, String listenAddress) {
    Map<String, String> labels;
    try {
      labels = HostLabels.parse(s.string(KEY_LABELS, ""));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(KEY_LABELS, KEY_LABELS + ": " + e.getMessage());
    }
    int cpuMillis = s.integer(KEY_CPU_MILLIS, 0, 1, Integer.MAX_VALUE);
    Duration sessionTimeout = s.duration(KEY_SESSION_TIMEOUT, DEFAULT_SESSION_TIMEOUT);
    ByteSize memory = s.size(KEY_MEMORY, null);
    ByteSize disk = s.size(KEY_DISK, null);
    ClusterSettings settings =
        new ClusterSettings(
            s.string(KEY_ZOOKEEPER, ""),
            s.flag(KEY_ZOOKEEPER_TLS, true),
            s.string(KEY_NAME, DEFAULT_CLUSTER),
            sessionTimeout,
            s.duration(KEY_FENCE_DELAY, io.ferry.agent.cluster.SessionFence.defaultDelay(sessionTimeout)),
            Optional.ofNullable(s.string(KEY_HOST_ADDRESS, null)),
            labels,
            cpuMillis == 0 ? OptionalLong.empty() : OptionalLong.of(cpuMillis),
            Optional.ofNullable(memory),
            Optional.ofNullable(disk));
    if (settings.clustered() && settings.hostAddress().isEmpty() && WILDCARDS.contains(listenAddress)) {
      throw new ConfigException(
          KEY_HOST_ADDRESS,
          KEY_HOST_ADDRESS + " is required when listen.address is " + listenAddress
              + ": coordinators cannot dial a wildcard address");
    }
    if (memory != null && memory.bytes() == 0) {
      throw new ConfigException(KEY_MEMORY, KEY_MEMORY + " must be positive");
    }
    return settings;
  }

  /**
   * What this host tells the cluster: the configured values, the probed ones for what is not
   * configured.
   *
   * @param listenAddress {@code listen.address}
   * @param boundPort the port the API actually listens on (the configured one may be 0)
   * @param cores probed CPU cores
   * @param memoryBytes probed memory
   * @param diskFreeBytes probed free space of the state directory
   */
  public HostRegistration registration(
      String hostName, String listenAddress, int boundPort, int cores, long memoryBytes, long diskFreeBytes, String agentVersion) {
    String host = listenAddress.indexOf(':') >= 0 && !listenAddress.startsWith("[") ? "[" + listenAddress + "]" : listenAddress;
    return new HostRegistration(
        hostName,
        hostAddress.orElse(host + ":" + boundPort),
        cpuMillis.orElse(cores * 1000L),
        memory.map(ByteSize::bytes).orElse(memoryBytes),
        disk.map(ByteSize::bytes).orElse(diskFreeBytes),
        labels,
        agentVersion);
  }
}
