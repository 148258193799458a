package io.ferry.agent.network;

import io.ferry.common.config.ConfigException;
import io.ferry.common.config.Settings;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The VXLAN overlay that joins the container bridges of all hosts into one layer-2 network, so a
 * container keeps its address and MAC on whichever host runs it ({@code network.overlay.*} keys).
 * Immutable; validated once, at start. Off by default (a standalone agent needs none).
 *
 * <p>With the overlay on, every host's bridge serves the same cluster subnet and holds the same
 * gateway address with the same MAC (an anycast gateway: a moved container finds its gateway
 * unchanged), and a kernel VXLAN device on the bridge carries frames to the other hosts over UDP.
 * The other hosts' underlay addresses form the device's flood list (head-end replication, no
 * multicast); they come from the cluster membership, never from probing. Remote MACs are learned
 * from the traffic, and a new (or moved) container announces itself with a gratuitous ARP ({@link
 * NetworkManager#announce}), so a container re-created on another host is found there at once.
 *
 * @param enabled whether the agent sets up the overlay
 * @param device the VXLAN interface's name (1..15 characters)
 * @param vni the VXLAN network identifier, 1..16777215; the same on every host of the cluster
 * @param port the UDP port VXLAN uses, the same on every host (4789 is IANA's)
 * @param localAddress this host's underlay address: the VXLAN tunnels' source and what other
 *     hosts send to; required when enabled. Defaults to the host's configured address (the host of
 *     {@code host.address}, else {@code listen.address}) when that is an IPv4 literal.
 * @param underlayMtu the MTU of the underlay network; the container MTU ({@code network.mtu}) must
 *     leave room for the {@value #VXLAN_OVERHEAD} bytes of VXLAN headers
 * @param resyncInterval how often the flood list is rebuilt from the membership even without a
 *     change event (repairs entries removed by hand or events missed during a disconnection)
 */
public record OverlayConfig(
    boolean enabled,
    String device,
    int vni,
    int port,
    Optional<Ipv4Address> localAddress,
    int underlayMtu,
    Duration resyncInterval) {

  public static final String KEY_ENABLED = "network.overlay.enabled";
  public static final String KEY_DEVICE = "network.overlay.device";
  public static final String KEY_VNI = "network.overlay.vni";
  public static final String KEY_PORT = "network.overlay.port";
  public static final String KEY_LOCAL_ADDRESS = "network.overlay.local-address";
  public static final String KEY_UNDERLAY_MTU = "network.overlay.underlay-mtu";
  public static final String KEY_RESYNC_INTERVAL = "network.overlay.resync-interval";

  public static final String DEFAULT_DEVICE = "ferryvx0";
  public static final int DEFAULT_VNI = 7700;
  public static final int DEFAULT_PORT = 4789;
  public static final int DEFAULT_UNDERLAY_MTU = 1500;
  public static final Duration DEFAULT_RESYNC_INTERVAL = Duration.ofSeconds(30);

  /** Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14) headers. */
  public static final int VXLAN_OVERHEAD = 50;

  public static final int MAX_VNI = (1 << 24) - 1;

  private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,14}");

  public OverlayConfig {
    if (device == null || !IFNAME.matcher(device).matches()) {
      throw new ConfigException(
          KEY_DEVICE, KEY_DEVICE + " '" + device + "' is not an interface name: 1 to 15 letters, digits, '_', '.' or '-'");
    }
    if (vni < 1 || vni > MAX_VNI) {
      throw new ConfigException(KEY_VNI, KEY_VNI + " " + vni + " is not in 1.." + MAX_VNI);
    }
    if (port < 1 || port > 65535) {
      throw new ConfigException(KEY_PORT, KEY_PORT + " " + port + " is not in 1..65535");
    }
    if (localAddress == null) {
      localAddress = Optional.empty();
    }
    if (underlayMtu < NetworkConfig.MIN_MTU + VXLAN_OVERHEAD || underlayMtu > NetworkConfig.MAX_MTU) {
      throw new ConfigException(
          KEY_UNDERLAY_MTU,
          KEY_UNDERLAY_MTU + " " + underlayMtu + " is not in " + (NetworkConfig.MIN_MTU + VXLAN_OVERHEAD) + ".." + NetworkConfig.MAX_MTU);
    }
    if (resyncInterval == null || resyncInterval.isNegative() || resyncInterval.isZero()) {
      throw new ConfigException(KEY_RESYNC_INTERVAL, KEY_RESYNC_INTERVAL + " must be positive: " + resyncInterval);
    }
    if (enabled) {
      Ipv4Address local = localAddress.orElseThrow(() -> new ConfigException(
          KEY_LOCAL_ADDRESS,
          KEY_LOCAL_ADDRESS + " is required with " + KEY_ENABLED + "=true: this host's IPv4 address on the network"
              + " between hosts (it defaults to host.address or listen.address only when that is an IPv4 address)"));
      int first = (local.bits() >>> 24) & 0xff;
      if (local.bits() == 0 || first == 127 || first >= 224) {
        throw new ConfigException(
            KEY_LOCAL_ADDRESS,
            KEY_LOCAL_ADDRESS + " " + local + " cannot carry an overlay between hosts (wildcard, loopback, multicast"
                + " or reserved); set it to this host's address on the network between hosts");
      }
    }
  }

  /** The overlay off, every other value at its default. */
  public static OverlayConfig disabled() {
    return new OverlayConfig(false, DEFAULT_DEVICE, DEFAULT_VNI, DEFAULT_PORT, Optional.empty(), DEFAULT_UNDERLAY_MTU, DEFAULT_RESYNC_INTERVAL);
  }

  /** The largest container MTU this overlay carries without fragmenting: underlay MTU minus 50. */
  public int maxInnerMtu() {
    return underlayMtu - VXLAN_OVERHEAD;
  }

  /**
   * Reads the {@code network.overlay.*} keys, defaults for absent ones.
   *
   * @param defaultLocalAddress the host's configured address when it is an IPv4 literal: the
   *     default of {@value #KEY_LOCAL_ADDRESS}
   * @throws ConfigException naming the key of a malformed or out-of-range value
   */
  static OverlayConfig load(Settings s, Optional<String> defaultLocalAddress) {
    String local = s.string(KEY_LOCAL_ADDRESS, defaultLocalAddress.orElse(null));
    Optional<Ipv4Address> localAddress;
    try {
      localAddress = local == null || local.isEmpty() ? Optional.empty() : Optional.of(Ipv4Address.parse(local));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(KEY_LOCAL_ADDRESS, KEY_LOCAL_ADDRESS + ": " + e.getMessage());
    }
    return new OverlayConfig(
        s.flag(KEY_ENABLED, false),
        s.string(KEY_DEVICE, DEFAULT_DEVICE),
        s.integer(KEY_VNI, DEFAULT_VNI, 1, MAX_VNI),
        s.integer(KEY_PORT, DEFAULT_PORT, 1, 65535),
        localAddress,
        s.integer(KEY_UNDERLAY_MTU, DEFAULT_UNDERLAY_MTU, NetworkConfig.MIN_MTU + VXLAN_OVERHEAD, NetworkConfig.MAX_MTU),
        s.duration(KEY_RESYNC_INTERVAL, DEFAULT_RESYNC_INTERVAL));
  }
}
