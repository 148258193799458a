package io.ferry.coordinator.placement;

import java.util.List;
import java.util.Objects;

/**
 * The result of placing one request: either {@link Placed} on a host or {@link Unplaceable}, each
 * with a verdict per considered host so the admin can read "why this host" or "why no host".
 */
public sealed interface PlacementDecision {

  /** Every verdict, in {@link #explain()} order. */
  List<HostVerdict> verdicts();

  /**
   * A human explanation, one line per considered host: the chosen host first (marked {@code *}),
   * then the other fitting hosts best first, then the refused hosts by name with their reasons.
   * Used by {@code ferry launch --dry-run}.
   */
  default String explain() {
    List<HostVerdict> verdicts = verdicts();
    if (verdicts.isEmpty()) {
      return "no hosts to consider";
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < verdicts.size(); i++) {
      boolean chosen = i == 0 && this instanceof Placed;
      if (i > 0) {
        out.append('\n');
      }
      out.append(chosen ? "* " : "  ").append(verdicts.get(i).reason());
    }
    return out.toString();
  }

  /**
   * The container goes to {@code host}.
   *
   * @param host the chosen host, the best-scoring fitting host (ties broken by name)
   * @param score its score
   * @param considered every considered host's verdict, the chosen host first
   */
  record Placed(String host, double score, List<HostVerdict> considered)
      implements PlacementDecision {
    public Placed {
      Objects.requireNonNull(host, "host");
      considered = List.copyOf(considered);
      if (considered.isEmpty() || !considered.get(0).host().equals(host)) {
        throw new IllegalArgumentException("the chosen host's verdict must come first");
      }
    }

    @Override
    public List<HostVerdict> verdicts() {
      return considered;
    }
  }

  /**
   * No considered host can run the container.
   *
   * @param reasons every considered host's verdict, none of them fitting; empty when the cluster
   *     has no hosts
   */
  record Unplaceable(List<HostVerdict> reasons) implements PlacementDecision {
    public Unplaceable {
      reasons = List.copyOf(reasons);
      if (reasons.stream().anyMatch(HostVerdict::fits)) {
        throw new IllegalArgumentException("an unplaceable decision cannot have a fitting host");
      }
    }

    @Override
    public List<HostVerdict> verdicts() {
      return reasons;
    }
  }
}
