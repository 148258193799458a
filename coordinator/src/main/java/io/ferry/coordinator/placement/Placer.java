package io.ferry.coordinator.placement;

import java.util.ArrayList;
import java.util.Collection;
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
 * <p>Two ways to ask: {@link #place} explains every considered host in words (a dry run, {@code
 * ferry launch --dry-run}); {@link #choose} makes the same decision but words only the outcome
 * (the chosen host's verdict, or every host's reason when none fits), so a launch on a thousand
 * hosts costs a thousand filter checks and scores, not a thousand formatted explanations.
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
    Optional<String> target = request.targetHost();
    if (target.isPresent() && snapshot.host(target.get()).isEmpty()) {
      return new PlacementDecision.Unplaceable(
          List.of(HostVerdict.refused(target.get(), "no such host in the cluster")));
    }
    Collection<HostState> considered = considered(snapshot.hosts(), request);
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

  /**
   * The decision {@link #place} makes (same host, same score), explained only as far as a launch
   * needs: a {@link PlacementDecision.Placed} carries the chosen host's verdict alone; an {@link
   * PlacementDecision.Unplaceable} every considered host's reason, as from {@link #place}. Never
   * returns null.
   */
  public PlacementDecision choose(ClusterSnapshot snapshot, PlacementRequest request) {
    return choose(snapshot.hosts(), request);
  }

  /**
   * As {@link #choose(ClusterSnapshot, PlacementRequest)}, on hosts whose names the caller knows
   * to be distinct (a live view of the cluster's hosts): no snapshot is built unless nothing fits.
   */
  public PlacementDecision choose(Collection<HostState> hosts, PlacementRequest request) {
    HostState best = null;
    double bestScore = Double.NaN;
    for (HostState host : considered(hosts, request)) {
      if (!Filters.fits(host, request)) {
        continue;
      }
      double score = Scorer.value(host, request);
      int c = best == null ? 1 : Double.compare(score, bestScore);
      if (c > 0 || (c == 0 && host.name().compareTo(best.name()) < 0)) {
        best = host;
        bestScore = score;
      }
    }
    if (best == null) {
      // Nothing fits, or the target is not in the cluster: every considered host's reason.
      return place(new ClusterSnapshot(List.copyOf(hosts)), request);
    }
    Scorer.Score score = Scorer.score(best, request);
    return new PlacementDecision.Placed(
        best.name(), score.value(), List.of(HostVerdict.fitting(best.name(), score.value(), score.why())));
  }

  /** Every host, or only the target when the request names one (none when it is not among them). */
  private static Collection<HostState> considered(Collection<HostState> hosts, PlacementRequest request) {
    Optional<String> target = request.targetHost();
    if (target.isPresent()) {
      return hosts.stream().filter(h -> h.name().equals(target.get())).toList();
    }
    return hosts;
  }
}
