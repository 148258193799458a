package io.ferry.common.cluster;

import io.ferry.common.Names;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What an agent tells the cluster about its host when it joins: where its gRPC API is, what it
 * offers to containers, its labels and its software version.
 *
 * <p>The agent writes it into its Helix InstanceConfig and coordinators read it back, so it also
 * defines that record's Ferry fields (everything else in the record belongs to Helix and is left
 * alone, notably the instance operation a coordinator sets):
 *
 * <ul>
 *   <li>simple fields {@value #ADDRESS}, {@value #CPU_MILLIS}, {@value #MEMORY_BYTES},
 *       {@value #DISK_BYTES}, {@value #AGENT_VERSION}, numbers in decimal;
 *   <li>optional simple fields {@value #NETWORK_SUBNET} and {@value #NETWORK_OVERLAY_ADDRESS}, the
 *       host's {@link HostNetwork} (absent for agents that register none, e.g. older ones);
 *   <li>map field {@value #LABELS}, the labels as they are.
 * </ul>
 *
 * @param hostName the host's name, which is also its Helix instance name (a DNS label)
 * @param address where coordinators dial the agent's gRPC API, {@code host:port} (an IPv6 host in
 *     brackets)
 * @param cpuMillis CPU offered to containers, in thousandths of a core; positive
 * @param memoryBytes memory offered to containers; positive
 * @param diskBytes disk offered to containers; zero or more
 * @param labels the host's labels, validated by {@link HostLabels}; immutable, ordered by key
 * @param agentVersion the agent's software version, e.g. {@code 0.1.0} or {@code dev}
 * @param network the host's container subnet and overlay address; empty when not registered
 */
public record HostRegistration(
    String hostName,
    String address,
    long cpuMillis,
    long memoryBytes,
    long diskBytes,
    Map<String, String> labels,
    String agentVersion,
    Optional<HostNetwork> network) {

  public static final String ADDRESS = "ferry.address";
  public static final String CPU_MILLIS = "ferry.cpu_millis";
  public static final String MEMORY_BYTES = "ferry.memory_bytes";
  public static final String DISK_BYTES = "ferry.disk_bytes";
  public static final String AGENT_VERSION = "ferry.agent_version";
  public static final String LABELS = "ferry.labels";
  public static final String NETWORK_SUBNET = "ferry.network.subnet";
  public static final String NETWORK_OVERLAY_ADDRESS = "ferry.network.overlay_address";

  /**
   * The Ferry simple fields a registration may leave out: a re-registration removes them from the
   * InstanceConfig before writing its own, so a value the host no longer has does not linger.
   */
  public static final List<String> OPTIONAL_FIELDS = List.of(NETWORK_SUBNET, NETWORK_OVERLAY_ADDRESS);

  /** @throws IllegalArgumentException naming the host and the first bad value */
  public HostRegistration {
    Names.require("host", hostName);
    String problem = addressProblem(address);
    if (problem != null) {
      throw new IllegalArgumentException("host " + hostName + ": " + problem);
    }
    if (cpuMillis <= 0 || memoryBytes <= 0 || diskBytes < 0) {
      throw new IllegalArgumentException(
          "host " + hostName + ": capacity must be positive (disk may be 0): cpu " + cpuMillis
              + " millis, memory " + memoryBytes + " bytes, disk " + diskBytes + " bytes");
    }
    try {
      labels = HostLabels.copyOf(labels);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("host " + hostName + ": " + e.getMessage(), e);
    }
    if (agentVersion == null || agentVersion.isBlank()) {
      throw new IllegalArgumentException("host " + hostName + ": agent version is required");
    }
    Objects.requireNonNull(network, "network");
  }

  /** A registration without a network (hosts of agents that register none). */
  public HostRegistration(
      String hostName, String address, long cpuMillis, long memoryBytes, long diskBytes, Map<String, String> labels, String agentVersion) {
    this(hostName, address, cpuMillis, memoryBytes, diskBytes, labels, agentVersion, Optional.empty());
  }

  /** This registration with {@code newNetwork}. */
  public HostRegistration withNetwork(HostNetwork newNetwork) {
    return new HostRegistration(hostName, address, cpuMillis, memoryBytes, diskBytes, labels, agentVersion, Optional.of(newNetwork));
  }

  /** The Ferry simple fields of the InstanceConfig, keyed by their field names. */
  public Map<String, String> simpleFields() {
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put(ADDRESS, address);
    fields.put(CPU_MILLIS, Long.toString(cpuMillis));
    fields.put(MEMORY_BYTES, Long.toString(memoryBytes));
    fields.put(DISK_BYTES, Long.toString(diskBytes));
    fields.put(AGENT_VERSION, agentVersion);
    network.ifPresent(n -> {
      fields.put(NETWORK_SUBNET, n.subnet());
      if (n.hasOverlay()) {
        fields.put(NETWORK_OVERLAY_ADDRESS, n.overlayAddress());
      }
    });
    return Map.copyOf(fields);
  }

  /** The Ferry map fields of the InstanceConfig: {@value #LABELS}. */
  public Map<String, Map<String, String>> mapFields() {
    return Map.of(LABELS, labels);
  }

  /**
   * Reads a registration back from an InstanceConfig's fields; fields that are not Ferry's are
   * ignored, a missing {@value #LABELS} map means no labels, a missing {@value #NETWORK_SUBNET} no
   * network.
   *
   * @param hostName the instance name
   * @param simpleFields the record's simple fields
   * @param mapFields the record's map fields
   * @throws IllegalArgumentException naming the missing or bad field, e.g. for an instance no
   *     Ferry agent registered
   */
  public static HostRegistration fromFields(
      String hostName, Map<String, String> simpleFields, Map<String, Map<String, String>> mapFields) {
    Map<String, String> labels = mapFields == null ? null : mapFields.get(LABELS);
    return new HostRegistration(
        hostName,
        required(hostName, simpleFields, ADDRESS),
        number(hostName, simpleFields, CPU_MILLIS),
        number(hostName, simpleFields, MEMORY_BYTES),
        number(hostName, simpleFields, DISK_BYTES),
        labels == null ? Map.of() : labels,
        required(hostName, simpleFields, AGENT_VERSION),
        network(hostName, simpleFields));
  }

  private static Optional<HostNetwork> network(String hostName, Map<String, String> fields) {
    String subnet = fields == null ? null : fields.get(NETWORK_SUBNET);
    if (subnet == null || subnet.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(new HostNetwork(subnet, fields.getOrDefault(NETWORK_OVERLAY_ADDRESS, "")));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("host " + hostName + ": InstanceConfig network fields: " + e.getMessage(), e);
    }
  }

  /** Returns null when {@code address} is a dialable {@code host:port}, else why not. */
  public static String addressProblem(String address) {
    if (address == null || address.isBlank()) {
      return "address is required (host:port of the agent's API)";
    }
    int colon = address.lastIndexOf(':');
    String host = colon < 0 ? "" : address.substring(0, colon);
    String port = colon < 0 ? "" : address.substring(colon + 1);
    boolean bracketed = host.startsWith("[") && host.endsWith("]") && host.length() > 2;
    if (host.isEmpty()
        || address.chars().anyMatch(Character::isWhitespace)
        || (!bracketed && host.indexOf(':') >= 0)
        || !port.matches("\\d{1,5}")
        || Integer.parseInt(port) < 1
        || Integer.parseInt(port) > 65535) {
      return "address '" + address + "' is not host:port with a port from 1 to 65535"
          + " (write an IPv6 address in brackets: [::1]:7701)";
    }
    return null;
  }

  private static String required(String hostName, Map<String, String> fields, String key) {
    String value = fields == null ? null : fields.get(key);
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException(
          "host " + hostName + ": InstanceConfig has no " + key + " (not registered by a Ferry agent?)");
    }
    return value;
  }

  private static long number(String hostName, Map<String, String> fields, String key) {
    String value = required(hostName, fields, key);
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "host " + hostName + ": InstanceConfig field " + key + "='" + value + "' is not a number", e);
    }
  }
}
