package io.ferry.coordinator.placement;

import java.util.Objects;

/**
 * What placement concluded about one host for one request.
 *
 * @param host the host's name
 * @param fits true when the host passed every filter
 * @param score the host's score when it fits (higher is better, see {@link Placer}); {@link
 *     Double#NaN} when it was filtered out
 * @param reason the verdict in words, starting with the host's name, e.g. {@code host-3: offline}
 *     or {@code host-2: needs 2.0 GiB memory, 1.0 GiB free}
 */
public record HostVerdict(String host, boolean fits, double score, String reason) {

  public HostVerdict {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(reason, "reason");
    if (fits == Double.isNaN(score)) {
      throw new IllegalArgumentException(
          "host " + host + ": a fitting host needs a score, a refused one has none (NaN)");
    }
  }

  static HostVerdict refused(String host, String why) {
    return new HostVerdict(host, false, Double.NaN, host + ": " + why);
  }

  static HostVerdict fitting(String host, double score, String why) {
    return new HostVerdict(host, true, score, host + ": " + why);
  }
}
