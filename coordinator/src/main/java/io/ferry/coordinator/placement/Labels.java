package io.ferry.coordinator.placement;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Validation of host labels and of the labels a placement request requires.
 *
 * <p>A key is an optional prefix and a name, {@code [prefix/]name}, as in Kubernetes: the name is
 * 1 to 63 characters of lower-case letters, digits, {@code -}, {@code _} and {@code .}, starting
 * and ending with a letter or digit; the prefix, when present, is a DNS subdomain (dot-separated
 * DNS labels, at most 253 characters), e.g. {@code topology.ferry.io/zone}. A value is 0 to 63
 * characters of {@code [A-Za-z0-9._-]}.
 *
 * <p>Failures are {@link IllegalArgumentException}s whose message names the offending key or
 * value, meant to reach the admin unchanged (the API layer maps them to INVALID_ARGUMENT).
 */
public final class Labels {

  public static final int MAX_NAME_LENGTH = 63;
  public static final int MAX_PREFIX_LENGTH = 253;
  public static final int MAX_VALUE_LENGTH = 63;

  private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9._-]*[a-z0-9])?");
  private static final Pattern PREFIX =
      Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*");
  private static final Pattern VALUE = Pattern.compile("[A-Za-z0-9._-]*");

  private Labels() {}

  /** Returns null when {@code key} is a valid label key, else why not. */
  public static String keyProblem(String key) {
    if (key == null || key.isEmpty()) {
      return "a label key is required";
    }
    int slash = key.indexOf('/');
    String name = slash < 0 ? key : key.substring(slash + 1);
    if (slash >= 0) {
      String prefix = key.substring(0, slash);
      if (prefix.isEmpty()
          || prefix.length() > MAX_PREFIX_LENGTH
          || !PREFIX.matcher(prefix).matches()) {
        return "label key '"
            + key
            + "' has a bad prefix: use a DNS subdomain of at most "
            + MAX_PREFIX_LENGTH
            + " characters (e.g. topology.ferry.io/zone)";
      }
    }
    if (name.isEmpty() || name.length() > MAX_NAME_LENGTH || !NAME.matcher(name).matches()) {
      return "label key '"
          + key
          + "' is not valid: the name needs 1 to "
          + MAX_NAME_LENGTH
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
      return "label '"
          + key
          + "' has a bad value '"
          + value
          + "': use at most "
          + MAX_VALUE_LENGTH
          + " characters of letters, digits, '.', '_' and '-'";
    }
    return null;
  }

  /** Throws {@link IllegalArgumentException} naming the first bad key or value. */
  public static void requireValid(Map<String, String> labels) {
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
  }

  /**
   * A validated, immutable copy of {@code labels} ordered by key, so that reasons and
   * explanations list labels in a stable order.
   */
  public static Map<String, String> copyOf(Map<String, String> labels) {
    requireValid(labels);
    return Collections.unmodifiableSortedMap(new TreeMap<>(labels));
  }
}
