package io.ferry.coordinator.placement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The placement entry point: filter, score, pick.
 *
 * <p>For a request, the considered hosts are every host of the snapshot, or only the target when
 * the request names one ({@code --target HOST}; a target missing from the snapshot is refused as
 * {@code no such host in the cluster}). Each considered host is refused with its reasons (see
 * {@link Filters}: status, cpu, memory, disk, labels, anti-affinity) or scored (see {@link
 * Scorer}: spread or binpack, plus an image bonus). The best score wins; equal scores go to the
 * host whose name sorts first, so the decision is a function of its inputs alone, independent of
 * host order in the snapshot.
 *
 * <p>Stateless and pure: no I/O, no clock, safe to share between threads. It decides and does not
 * reserve: the caller records the reservation (see {@link PlacementBatch} for deciding several
 * requests without overcommitting).
 */
public final class Placer {

  private static final Comparator<HostVerdict> BEST_FIRST =
      Comparator.comparingDouble(HostVerdict::score).reversed().thenComparing(HostVerdict::host);

  /** Decides where {@code request} goes in {@code snapshot}. Never returns null. */
  public PlacementDecision place(ClusterSnapshot snapshot, PlacementRequest request) {
    List<HostState> considered;
    Optional<String> target = request.targetHost();
    if (target.isPresent()) {
      Optional<HostState> host = snapshot.host(target.get());
      if (host.isEmpty()) {
        return new PlacementDecision.Unplaceable(
            List.of(HostVerdict.refused(target.get(), "no such host in the cluster")));
      }
      considered = List.of(host.get());
    } else {
      considered = snapshot.hosts();
    }
    List<HostVerdict> fitting = new ArrayList<>();
    List<HostVerdict> refused = new ArrayList<>();
    for (HostState host : considered) {
      List<String> problems = Filters.problems(host, request);
      if (problems.isEmpty()) {
        Scorer.Score score = Scorer.score(host, request);
        fitting.add(HostVerdict.fitting(host.name(), score.value(), score.why()));
      } else {
        refused.add(HostVerdict.refused(host.name(), String.join("; ", problems)));
      }
    }
    fitting.sort(BEST_FIRST);
    refused.sort(Comparator.comparing(HostVerdict::host));
    if (fitting.isEmpty()) {
      return new PlacementDecision.Unplaceable(refused);
    }
    HostVerdict best = fitting.get(0);
    List<HostVerdict> all = new ArrayList<>(fitting);
    all.addAll(refused);
    return new PlacementDecision.Placed(best.host(), best.score(), all);
  }
}
