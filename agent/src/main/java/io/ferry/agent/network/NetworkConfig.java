package io.ferry.agent.network;

import io.ferry.common.Names;
import io.ferry.common.config.ConfigException;
import io.ferry.common.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How the agent wires its containers to the host: one Linux bridge holding the subnet's gateway
 * address, one network namespace and veth pair per container, and optionally a VXLAN overlay that
 * joins the bridges of all hosts ({@link OverlayConfig}). Immutable; validated once, at start.
 *
 * <p>Every address comes from here, with a fixed default; nothing is probed. Several agents on one
 * machine (the quickstart) each run in their own network namespace, so each may use the same
 * bridge name and subnet; but {@code /run/netns} is shared by the whole machine, so each agent's
 * {@link #namespacePrefix} must differ: the default contains the host name.
 *
 * @param bridgeName the host bridge, a Linux interface name (1..15 characters)
 * @param subnet the containers' subnet, /16 to /29; its first host address is the {@link
 *     #gateway()}, assigned to the bridge. In a cluster, the cluster's subnet (the coordinator's
 *     {@code network.subnet}): the same on every host, addresses handed out by the coordinator
 * @param mtu MTU of the bridge and of both ends of every veth, 1280..9000; by default 1500, or the
 *     overlay's {@link OverlayConfig#maxInnerMtu()} (1450) with the overlay on
 * @param namespacePrefix start of every container netns name ({@code <prefix><container>}); ends
 *     with {@code .} or {@code _}, which container and host names cannot contain, so no agent's
 *     prefix is a prefix of another agent's netns names and reconciliation cannot touch them
 * @param iptablesEnabled whether {@link NetworkManager#ensureBridge()} adds the iptables FORWARD
 *     rule that lets frames cross the bridge (needed when dockerd set the FORWARD policy to DROP
 *     and br_netfilter sends bridged frames through iptables)
 * @param commandTimeout the longest one {@code ip} or {@code iptables} run may take
 * @param overlay the VXLAN overlay to the other hosts ({@code network.overlay.*}); off by default
 * @param busybox the BusyBox binary whose {@code arping} announces a container ({@link
 *     NetworkManager#announce}); Debian's {@code busybox-static}, which host setup installs
 */
public record NetworkConfig(
    String bridgeName,
    Ipv4Subnet subnet,
    int mtu,
    String namespacePrefix,
    boolean iptablesEnabled,
    Duration commandTimeout,
    OverlayConfig overlay,
    Path busybox) {

  public static final String KEY_BRIDGE = "network.bridge";
  public static final String KEY_SUBNET = "network.subnet";
  public static final String KEY_MTU = "network.mtu";
  public static final String KEY_NETNS_PREFIX = "network.netns-prefix";
  public static final String KEY_IPTABLES = "network.iptables";
  public static final String KEY_COMMAND_TIMEOUT = "network.command-timeout";
  public static final String KEY_BUSYBOX = "network.busybox";

  public static final String DEFAULT_BRIDGE = "ferrybr0";
  /** The coordinator's default cluster subnet, so clustered agents match it without a setting. */
  public static final String DEFAULT_SUBNET = "10.100.0.0/16";
  public static final int DEFAULT_MTU = 1500;
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(10);
  public static final Path DEFAULT_BUSYBOX = Path.of("/bin/busybox");

  public static final int MIN_PREFIX_LENGTH = 16;
  public static final int MAX_PREFIX_LENGTH = 29;
  public static final int MIN_MTU = 1280;
  public static final int MAX_MTU = 9000;
  /** Longest prefix: with a 63-character container name the netns file name stays short. */
  public static final int MAX_NAMESPACE_PREFIX = 128;

  private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,14}");
  private static final Pattern NETNS_PREFIX = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*[._]");

  public NetworkConfig {
    if (bridgeName == null || !IFNAME.matcher(bridgeName).matches()) {
      throw new ConfigException(
          KEY_BRIDGE,
          KEY_BRIDGE + " '" + bridgeName + "' is not an interface name: 1 to 15 letters, digits, '_', '.' or '-'");
    }
    if (subnet == null) {
      throw new ConfigException(KEY_SUBNET, KEY_SUBNET + " is required");
    }
    if (subnet.prefixLength() < MIN_PREFIX_LENGTH || subnet.prefixLength() > MAX_PREFIX_LENGTH) {
      throw new ConfigException(
          KEY_SUBNET,
          KEY_SUBNET + " " + subnet + ": prefix length must be /" + MIN_PREFIX_LENGTH + " to /" + MAX_PREFIX_LENGTH);
    }
    if (mtu < MIN_MTU || mtu > MAX_MTU) {
      throw new ConfigException(KEY_MTU, KEY_MTU + " " + mtu + " is not in " + MIN_MTU + ".." + MAX_MTU);
    }
    if (namespacePrefix == null
        || namespacePrefix.length() > MAX_NAMESPACE_PREFIX
        || !NETNS_PREFIX.matcher(namespacePrefix).matches()) {
      throw new ConfigException(
          KEY_NETNS_PREFIX,
          KEY_NETNS_PREFIX + " '" + namespacePrefix + "' must be 2 to " + MAX_NAMESPACE_PREFIX
              + " letters, digits, '_', '.' or '-', start with a letter or digit and end with '.' or '_'"
              + " (e.g. fc-host-1.)");
    }
    if (commandTimeout == null || commandTimeout.isNegative() || commandTimeout.isZero()) {
      throw new ConfigException(KEY_COMMAND_TIMEOUT, KEY_COMMAND_TIMEOUT + " must be positive: " + commandTimeout);
    }
    if (overlay == null) {
      throw new ConfigException(OverlayConfig.KEY_ENABLED, "the overlay configuration is required");
    }
    if (overlay.enabled() && mtu > overlay.maxInnerMtu()) {
      throw new ConfigException(
          KEY_MTU,
          KEY_MTU + " " + mtu + " does not fit the overlay: at most " + OverlayConfig.KEY_UNDERLAY_MTU + " "
              + overlay.underlayMtu() + " minus " + OverlayConfig.VXLAN_OVERHEAD + " bytes of VXLAN headers = "
              + overlay.maxInnerMtu());
    }
    if (overlay.enabled() && overlay.device().equals(bridgeName)) {
      throw new ConfigException(OverlayConfig.KEY_DEVICE, OverlayConfig.KEY_DEVICE + " must differ from " + KEY_BRIDGE);
    }
    if (busybox == null || !busybox.isAbsolute()) {
      throw new ConfigException(KEY_BUSYBOX, KEY_BUSYBOX + " must be an absolute path: " + busybox);
    }
  }

  /** Without an overlay: one host's own bridge (tests, tools). */
  public NetworkConfig(
      String bridgeName, Ipv4Subnet subnet, int mtu, String namespacePrefix, boolean iptablesEnabled, Duration commandTimeout) {
    this(bridgeName, subnet, mtu, namespacePrefix, iptablesEnabled, commandTimeout, OverlayConfig.disabled(), DEFAULT_BUSYBOX);
  }

  /** The defaults for the agent of {@code hostName} (a DNS label). */
  public static NetworkConfig defaults(String hostName) {
    return new NetworkConfig(
        DEFAULT_BRIDGE,
        Ipv4Subnet.parse(DEFAULT_SUBNET),
        DEFAULT_MTU,
        defaultNamespacePrefix(hostName),
        true,
        DEFAULT_COMMAND_TIMEOUT,
        OverlayConfig.disabled(),
        DEFAULT_BUSYBOX);
  }

  /** {@code fc-<host>.}: unique per machine as long as host names are. */
  public static String defaultNamespacePrefix(String hostName) {
    Names.require("host", hostName);
    return "fc-" + hostName + ".";
  }

  /** As {@link #load(Settings, String, Optional)} without a host address to default to. */
  public static NetworkConfig load(Settings s, String hostName) {
    return load(s, hostName, Optional.empty());
  }

  /**
   * Reads the {@code network.*} keys (the overlay's included), defaults for absent ones. The caller
   * calls {@link Settings#rejectUnknownKeys()} afterwards, as for its own keys.
   *
   * @param hostAddress the host's configured IPv4 address, if it has one: the default of {@link
   *     OverlayConfig#KEY_LOCAL_ADDRESS}
   * @throws ConfigException naming the key of a malformed or out-of-range value
   */
  public static NetworkConfig load(Settings s, String hostName, Optional<String> hostAddress) {
    String cidr = s.string(KEY_SUBNET, DEFAULT_SUBNET);
    Ipv4Subnet subnet;
    try {
      subnet = Ipv4Subnet.parse(cidr);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(KEY_SUBNET, KEY_SUBNET + ": " + e.getMessage());
    }
    OverlayConfig overlay = OverlayConfig.load(s, hostAddress);
    return new NetworkConfig(
        s.string(KEY_BRIDGE, DEFAULT_BRIDGE),
        subnet,
        s.integer(KEY_MTU, overlay.enabled() ? overlay.maxInnerMtu() : DEFAULT_MTU, MIN_MTU, MAX_MTU),
        s.string(KEY_NETNS_PREFIX, defaultNamespacePrefix(hostName)),
        s.flag(KEY_IPTABLES, true),
        s.duration(KEY_COMMAND_TIMEOUT, DEFAULT_COMMAND_TIMEOUT),
        overlay,
        s.path(KEY_BUSYBOX, DEFAULT_BUSYBOX));
  }

  /** The bridge's address and every container's default route: the subnet's first host. */
  public Ipv4Address gateway() {
    return subnet.gateway();
  }
}
