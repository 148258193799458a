package io.ferry.coordinator.placement;

import io.ferry.common.cluster.HostLabels;
import java.util.Map;

/**
 * Validation of host labels and of the labels a placement request requires: the rules are the
 * hosts' own ({@link HostLabels}, shared with the agent that registers them), so a request can
 * only require labels a host could carry.
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

  public static final int MAX_NAME_LENGTH = HostLabels.MAX_NAME_LENGTH;
  public static final int MAX_PREFIX_LENGTH = HostLabels.MAX_PREFIX_LENGTH;
  public static final int MAX_VALUE_LENGTH = HostLabels.MAX_VALUE_LENGTH;

  private Labels() {}

  /** Returns null when {@code key} is a valid label key, else why not. */
  public static String keyProblem(String key) {
    return HostLabels.keyProblem(key);
  }

  /** Returns null when {@code value} is a valid value for label {@code key}, else why not. */
  public static String valueProblem(String key, String value) {
    return HostLabels.valueProblem(key, value);
  }

  /** Throws {@link IllegalArgumentException} naming the first bad key or value. */
  public static void requireValid(Map<String, String> labels) {
    HostLabels.copyOf(labels);
  }

  /**
   * A validated, immutable copy of {@code labels} ordered by key, so that reasons and
   * explanations list labels in a stable order.
   */
  public static Map<String, String> copyOf(Map<String, String> labels) {
    return HostLabels.copyOf(labels);
  }
}
