package io.ferry.coordinator.placement;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Decides several requests in sequence against one snapshot, as if each placed container had
 * already been reserved: every {@link PlacementDecision.Placed} updates an in-memory copy of the
 * snapshot (allocation, container count, anti-affinity group, image) before the next request is
 * decided. A batch therefore never overcommits a host nor breaks anti-affinity within itself:
 * launching 20 containers against room for 10 places exactly 10 and refuses 10.
 *
 * <p>Pure: the given snapshot is not modified (it is immutable); the updated copy is returned.
 */
public final class PlacementBatch {

  /**
   * @param decisions one decision per request, in request order
   * @param after the snapshot with every placed container reserved
   */
  public record Result(List<PlacementDecision> decisions, ClusterSnapshot after) {
    public Result {
      decisions = List.copyOf(decisions);
      Objects.requireNonNull(after, "after");
    }

    /** How many requests were placed. */
    public long placedCount() {
      return decisions.stream().filter(d -> d instanceof PlacementDecision.Placed).count();
    }
  }

  private final Placer placer;

  public PlacementBatch(Placer placer) {
    this.placer = Objects.requireNonNull(placer, "placer");
  }

  /**
   * Places {@code requests} in order. Container names must be unique within the batch, else
   * {@link IllegalArgumentException} is thrown before anything is decided.
   */
  public Result placeAll(ClusterSnapshot snapshot, List<PlacementRequest> requests) {
    Set<String> names = new HashSet<>();
    for (PlacementRequest r : requests) {
      if (!names.add(r.containerName())) {
        throw new IllegalArgumentException(
            "container " + r.containerName() + " appears twice in the batch");
      }
    }
    ClusterSnapshot current = snapshot;
    List<PlacementDecision> decisions = new ArrayList<>(requests.size());
    for (PlacementRequest request : requests) {
      PlacementDecision decision = placer.place(current, request);
      if (decision instanceof PlacementDecision.Placed placed) {
        HostState host = current.host(placed.host()).orElseThrow();
        current = current.withHost(host.withPlaced(request));
      }
      decisions.add(decision);
    }
    return new Result(decisions, current);
  }
}
