package io.ferry.agent.network;

import io.ferry.common.Names;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The names of one agent's network objects, all derived deterministically, so that after a crash
 * or restart the agent finds what it made from the container name alone.
 *
 * <ul>
 *   <li>Container netns: {@code <prefix><container>}, e.g. {@code fc-host-1.web1}, a file in
 *       {@code /run/netns}, which every agent on the machine shares. The prefix ends with a
 *       character container names cannot contain, so a name maps back to at most one agent and
 *       container ({@link #containerOf}).
 *   <li>Host end of the container's veth: {@code fv} + 10 hex digits of SHA-256 of the netns name
 *       (12 characters, within Linux's 15), unique per machine as netns names are.
 *   <li>Container end: always {@code eth0}, inside the container's netns.
 * </ul>
 *
 * @param namespacePrefix the agent's netns prefix, validated by {@link NetworkConfig}
 */
record NamingScheme(String namespacePrefix) {

  static final Path NETNS_DIR = Path.of("/run/netns");
  static final String HOST_VETH_PREFIX = "fv";
  static final String CONTAINER_INTERFACE = "eth0";
  static final String LOOPBACK = "lo";

  String namespace(String container) {
    return namespacePrefix + container;
  }

  Path namespacePath(String container) {
    return NETNS_DIR.resolve(namespace(container));
  }

  String hostInterface(String container) {
    byte[] hash = MacAddress.sha256(namespace(container));
    return HOST_VETH_PREFIX + HexFormat.of().formatHex(hash, 0, 5);
  }

  /** The container whose netns this is, if it is one of this agent's. */
  Optional<String> containerOf(String namespace) {
    if (!namespace.startsWith(namespacePrefix)) {
      return Optional.empty();
    }
    String container = namespace.substring(namespacePrefix.length());
    return Names.problem("container", container) == null ? Optional.of(container) : Optional.empty();
  }

  /** Whether an interface name has the shape of a Ferry host-side veth (of any agent). */
  static boolean looksLikeHostVeth(String name) {
    return name.length() == HOST_VETH_PREFIX.length() + 10
        && name.startsWith(HOST_VETH_PREFIX)
        && name.substring(HOST_VETH_PREFIX.length()).chars().allMatch(c -> HexFormat.isHexDigit(c) && !Character.isUpperCase(c));
  }
}
