package io.ferry.common.cluster;

import io.ferry.common.Names;
import java.util.LinkedHashMap;
import java.util.Map;

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
 */
public record HostRegistration(
    String hostName,
    String address,
    long cpuMillis,
    long memoryBytes,
    long diskBytes,
    Map<String, String> labels,
    String agentVersion) {

  public static final String ADDRESS = "ferry.address";
  public static final String CPU_MILLIS = "ferry.cpu_millis";
  public static final String MEMORY_BYTES = "ferry.memory_bytes";
  public static final String DISK_BYTES = "ferry.disk_bytes";
  public static final String AGENT_VERSION = "ferry.agent_version";
  public static final String LABELS = "ferry.labels";

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
  }

  /** The Ferry simple fields of the InstanceConfig, keyed by their field names. */
  public Map<String, String> simpleFields() {
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put(ADDRESS, address);
    fields.put(CPU_MILLIS, Long.toString(cpuMillis));
    fields.put(MEMORY_BYTES, Long.toString(memoryBytes));
    fields.put(DISK_BYTES, Long.toString(diskBytes));
    fields.put(AGENT_VERSION, agentVersion);
    return Map.copyOf(fields);
  }

  /** The Ferry map fields of the InstanceConfig: {@value #LABELS}. */
  public Map<String, Map<String, String>> mapFields() {
    return Map.of(LABELS, labels);
  }

  /**
   * Reads a registration back from an InstanceConfig's fields; fields that are not Ferry's are
   * ignored, a missing {@value #LABELS} map means no labels.
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
        required(hostName, simpleFields, AGENT_VERSION));
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
