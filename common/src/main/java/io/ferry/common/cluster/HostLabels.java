package io.ferry.common.cluster;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The rules for a host's labels, shared by the agent that declares them and the coordinator that
 * reads them back from the cluster.
 *
 * <p>A key is an optional prefix and a name, {@code [prefix/]name}, as in Kubernetes: the name is
 * 1 to 63 characters of lower-case letters, digits, {@code -}, {@code _} and {@code .}, starting
 * and ending with a letter or digit; the prefix, when present, is a DNS subdomain of at most 253
 * characters, e.g. {@code topology.ferry.io/zone}. A value is 0 to 63 characters of
 * {@code [A-Za-z0-9._-]}. These are the same rules as the coordinator's placement labels, so a
 * label an agent may declare is one placement can match.
 *
 * <p>Failures are {@link IllegalArgumentException}s naming the offending key or value.
 */
public final class HostLabels {

  public static final int MAX_NAME_LENGTH = 63;
  public static final int MAX_PREFIX_LENGTH = 253;
  public static final int MAX_VALUE_LENGTH = 63;

  private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9._-]*[a-z0-9])?");
  private static final Pattern PREFIX =
      Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*");
  private static final Pattern VALUE = Pattern.compile("[A-Za-z0-9._-]*");

  private HostLabels() {}

  /** Returns null when {@code key} is a valid label key, else why not. */
  public static String keyProblem(String key) {
    if (key == null || key.isEmpty()) {
      return "a label key is required";
    }
    int slash = key.indexOf('/');
    String name = slash < 0 ? key : key.substring(slash + 1);
    if (slash >= 0) {
      String prefix = key.substring(0, slash);
      if (prefix.isEmpty() || prefix.length() > MAX_PREFIX_LENGTH || !PREFIX.matcher(prefix).matches()) {
        return "label key '" + key + "' has a bad prefix: use a DNS subdomain of at most "
            + MAX_PREFIX_LENGTH + " characters (e.g. topology.ferry.io/zone)";
      }
    }
    if (name.isEmpty() || name.length() > MAX_NAME_LENGTH || !NAME.matcher(name).matches()) {
      return "label key '" + key + "' is not valid: the name needs 1 to " + MAX_NAME_LENGTH
          + " lower-case letters, digits, '-', '_' or '.', starting and ending with a letter"
          + " or digit, after an optional 'prefix/'";
    }
    return null;
  }

  /** Returns null when {@code value} is a valid value for label {@code key}, else why not. */
  public static String valueProblem(String key, String value) {
    if (value == null) {
      return "label '" + key + "' has no value";
    }
    if (value.length() > MAX_VALUE_LENGTH || !VALUE.matcher(value).matches()) {
      return "label '" + key + "' has a bad value '" + value + "': use at most " + MAX_VALUE_LENGTH
          + " characters of letters, digits, '.', '_' and '-'";
    }
    return null;
  }

  /** A validated, immutable copy ordered by key; throws naming the first bad key or value. */
  public static Map<String, String> copyOf(Map<String, String> labels) {
    if (labels == null) {
      throw new IllegalArgumentException("labels are required (use an empty map for none)");
    }
    for (Map.Entry<String, String> e : labels.entrySet()) {
      String problem = keyProblem(e.getKey());
      if (problem == null) {
        problem = valueProblem(e.getKey(), e.getValue());
      }
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
    }
    return Collections.unmodifiableSortedMap(new TreeMap<>(labels));
  }

  /**
   * Parses the operator's form {@code zone=a,ssd=true} (blank or empty: no labels). Spaces around
   * entries are ignored; a key given twice, an entry without {@code =} or a bad key or value is
   * refused.
   */
  public static Map<String, String> parse(String text) {
    Map<String, String> labels = new LinkedHashMap<>();
    if (text == null || text.isBlank()) {
      return copyOf(labels);
    }
    for (String entry : text.split(",", -1)) {
      String trimmed = entry.strip();
      int eq = trimmed.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "label '" + trimmed + "' is not key=value (expected e.g. zone=a,ssd=true)");
      }
      String key = trimmed.substring(0, eq).strip();
      if (labels.put(key, trimmed.substring(eq + 1).strip()) != null) {
        throw new IllegalArgumentException("label '" + key + "' is given twice");
      }
    }
    return copyOf(labels);
  }
}
