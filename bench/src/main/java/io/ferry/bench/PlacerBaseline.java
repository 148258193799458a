package io.ferry.bench;

import io.ferry.coordinator.placement.ClusterSnapshot;
import io.ferry.coordinator.placement.HostState;
import io.ferry.coordinator.placement.HostStatus;
import io.ferry.coordinator.placement.PlacementDecision;
import io.ferry.coordinator.placement.PlacementRequest;
import io.ferry.coordinator.placement.Placer;
import io.ferry.coordinator.placement.Resources;
import io.ferry.coordinator.placement.Strategy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The pure placement decision, no I/O: the coordinator's {@link Placer#choose} (what a launch
 * asks; a dry run's {@link Placer#place} also words every host's verdict) on a snapshot of N hosts
 * shaped like the simulated ones (same capacity, labels, image), with the benchmark's launch
 * request. Between decisions the chosen host gets the container (outside the timing), so the
 * hosts fill as they do in the cluster; after {@link #ROUND} decisions the hosts start empty again.
 * Single-threaded.
 */
final class PlacerBaseline {

  /** As many containers as the benchmark launches. */
  static final int ROUND = 10_000;

  private PlacerBaseline() {}

  /** Decisions per second over about {@code seconds} seconds, after a warm-up of as long. */
  static double decisionsPerSecond(int hostCount, double seconds) {
    run(hostCount, seconds); // warm-up: the JIT compiles the placer
    return run(hostCount, seconds);
  }

  private static double run(int hostCount, double seconds) {
    List<HostState> hosts = new ArrayList<>();
    for (int i = 1; i <= hostCount; i++) {
      hosts.add(
          new HostState(
              String.format(java.util.Locale.ROOT, "host-%04d", i),
              HostStatus.ONLINE,
              new Resources(SimulatedHosts.CPU_MILLIS, SimulatedHosts.MEMORY_BYTES, SimulatedHosts.DISK_BYTES),
              Resources.ZERO,
              Map.of("rack", "r" + (i % 10)),
              Set.of(SimulatedAgent.IMAGE_ALIAS),
              Map.of(),
              0));
    }
    ClusterSnapshot empty = new ClusterSnapshot(hosts);
    ClusterSnapshot snapshot = empty;
    Placer placer = new Placer();
    long budget = (long) (seconds * 1e9);
    long timed = 0;
    int decisions = 0;
    while (timed < budget) {
      if (decisions % ROUND == 0) {
        snapshot = empty;
      }
      PlacementRequest request =
          new PlacementRequest(
              LaunchDriver.name("p", decisions),
              new Resources(LaunchDriver.CPU_MILLIS, LaunchDriver.MEMORY_BYTES, LaunchDriver.DISK_BYTES),
              Map.of(),
              Optional.empty(),
              Optional.of(SimulatedAgent.IMAGE_ALIAS),
              Optional.empty(),
              Strategy.SPREAD,
              true);
      long t0 = System.nanoTime();
      PlacementDecision decision = placer.choose(snapshot, request);
      timed += System.nanoTime() - t0;
      decisions++;
      if (!(decision instanceof PlacementDecision.Placed placed)) {
        throw new IllegalStateException("the placer found no room after " + decisions + " decisions");
      }
      HostState host = snapshot.host(placed.host()).orElseThrow();
      snapshot = snapshot.withHost(host.withPlaced(request));
    }
    return decisions / (timed / 1e9);
  }
}
