package io.ferry.coordinator.placement;

import static io.ferry.coordinator.placement.Fixtures.GIB;
import static io.ferry.coordinator.placement.Fixtures.MIB;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Invariants over 200 random snapshots and requests (seeded, so a failure reproduces), checked
 * against an oracle written here independently of {@link Filters}.
 */
class PlacerPropertyTest {

  private static final long SEED = 20261129L;
  private static final int RUNS = 200;
  private static final String[] ZONES = {"a", "b", "c"};
  private static final String[] IMAGES = {"debian-12", "alpine", "sha256:abc"};

  private final Placer placer = new Placer();

  @Test
  void singleDecisionsRespectEveryInvariant() {
    Random random = new Random(SEED);
    int placed = 0;
    for (int run = 0; run < RUNS; run++) {
      ClusterSnapshot snapshot = randomSnapshot(random);
      PlacementRequest request = randomRequest(random, snapshot, "c-" + run);
      String context = "run " + run + ": " + request + " on " + snapshot;
      PlacementDecision d = placer.place(snapshot, request);
      checkDecision(snapshot, request, d, context);
      if (d instanceof PlacementDecision.Placed) {
        placed++;
      }
      List<HostState> shuffled = new ArrayList<>(snapshot.hosts());
      Collections.shuffle(shuffled, random);
      assertThat(placer.place(new ClusterSnapshot(shuffled), request))
          .as("host order must not matter, " + context)
          .isEqualTo(d);
    }
    assertThat(placed).as("the generator must exercise both outcomes").isBetween(40, RUNS - 40);
  }

  @Test
  void batchesNeverOvercommitAndEachDecisionHoldsAtItsTurn() {
    Random random = new Random(SEED + 1);
    PlacementBatch batch = new PlacementBatch(placer);
    for (int run = 0; run < RUNS; run++) {
      ClusterSnapshot before = randomSnapshot(random);
      List<PlacementRequest> requests = new ArrayList<>();
      int n = 1 + random.nextInt(30);
      for (int i = 0; i < n; i++) {
        requests.add(randomRequest(random, before, "c-" + run + "-" + i));
      }
      PlacementBatch.Result result = batch.placeAll(before, requests);
      String context = "run " + run;
      assertThat(result.decisions()).hasSize(n);

      ClusterSnapshot current = before;
      Map<String, Resources> added = new HashMap<>();
      for (int i = 0; i < n; i++) {
        PlacementDecision d = result.decisions().get(i);
        checkDecision(current, requests.get(i), d, context + " request " + i);
        if (d instanceof PlacementDecision.Placed p) {
          HostState h = current.host(p.host()).orElseThrow();
          current = current.withHost(h.withPlaced(requests.get(i)));
          added.merge(p.host(), requests.get(i).resources(), Resources::plus);
        }
      }
      assertThat(result.after()).as(context).isEqualTo(current);
      for (HostState h : result.after().hosts()) {
        HostState old = before.host(h.name()).orElseThrow();
        Resources grew = added.getOrDefault(h.name(), Resources.ZERO);
        assertThat(h.allocated()).isEqualTo(old.allocated().plus(grew));
        String what = context + ": " + h.name() + " overcommitted";
        if (grew.cpuMillis() > 0) {
          assertThat(h.allocated().cpuMillis()).as(what).isLessThanOrEqualTo(h.capacity().cpuMillis());
        }
        if (grew.memoryBytes() > 0) {
          assertThat(h.allocated().memoryBytes()).as(what)
              .isLessThanOrEqualTo(h.capacity().memoryBytes());
        }
        if (grew.diskBytes() > 0) {
          assertThat(h.allocated().diskBytes()).as(what).isLessThanOrEqualTo(h.capacity().diskBytes());
        }
        for (Map.Entry<String, Integer> g : h.antiAffinityGroups().entrySet()) {
          int was = old.groupCount(g.getKey());
          assertThat(g.getValue()).as(context + " anti-affinity").isLessThanOrEqualTo(Math.max(was, 1));
        }
      }
    }
  }

  @Test
  void chooseMakesPlacesDecisionAndExplainsOnlyItsOutcome() {
    Random random = new Random(SEED + 2);
    int placed = 0;
    for (int run = 0; run < RUNS; run++) {
      ClusterSnapshot snapshot = randomSnapshot(random);
      PlacementRequest request = randomRequest(random, snapshot, "c-" + run);
      if (random.nextInt(4) == 0) {
        request = request.withImageRequired(IMAGES[random.nextInt(IMAGES.length)]);
      }
      String context = "run " + run + ": " + request + " on " + snapshot;
      for (HostState h : snapshot.hosts()) {
        assertThat(Filters.fits(h, request)).as(context + ": " + h.name())
            .isEqualTo(Filters.problems(h, request).isEmpty());
      }
      PlacementDecision full = placer.place(snapshot, request);
      PlacementDecision chosen = placer.choose(snapshot, request);
      if (full instanceof PlacementDecision.Placed p) {
        placed++;
        assertThat(chosen).as(context).isInstanceOf(PlacementDecision.Placed.class);
        PlacementDecision.Placed c = (PlacementDecision.Placed) chosen;
        assertThat(c.host()).as(context).isEqualTo(p.host());
        assertThat(c.score()).as(context).isEqualTo(p.score());
        assertThat(c.verdicts()).as(context).containsExactly(p.verdicts().get(0));
      } else {
        assertThat(chosen).as(context).isEqualTo(full);
      }
    }
    assertThat(placed).as("the generator must exercise both outcomes").isBetween(40, RUNS - 40);
  }

  /** Checks one decision against the oracle on the snapshot it was made on. */
  private static void checkDecision(
      ClusterSnapshot snapshot, PlacementRequest request, PlacementDecision d, String context) {
    Set<String> expectedConsidered = new HashSet<>();
    if (request.targetHost().isPresent()) {
      expectedConsidered.add(request.targetHost().get());
    } else {
      snapshot.hosts().forEach(h -> expectedConsidered.add(h.name()));
    }
    assertThat(d.verdicts()).extracting(HostVerdict::host).as(context)
        .containsExactlyInAnyOrderElementsOf(expectedConsidered);
    for (HostVerdict v : d.verdicts()) {
      Optional<HostState> h = snapshot.host(v.host());
      boolean passes = h.isPresent() && oracleFits(h.get(), request);
      assertThat(v.fits()).as(context + ": " + v.reason()).isEqualTo(passes);
      assertThat(Double.isNaN(v.score())).isEqualTo(!passes);
      assertThat(v.reason()).startsWith(v.host() + ": ");
    }
    List<HostVerdict> fitting = d.verdicts().stream().filter(HostVerdict::fits).toList();
    if (d instanceof PlacementDecision.Placed p) {
      assertThat(oracleFits(snapshot.host(p.host()).orElseThrow(), request)).as(context).isTrue();
      for (HostVerdict v : fitting) {
        assertThat(p.score()).as(context).isGreaterThanOrEqualTo(v.score());
        if (v.score() == p.score()) {
          assertThat(p.host().compareTo(v.host())).as(context + " tie-break").isLessThanOrEqualTo(0);
        }
      }
      assertThat(d.verdicts().get(0).host()).isEqualTo(p.host());
      assertThat(d.explain().lines().count()).isEqualTo(d.verdicts().size());
    } else {
      assertThat(fitting).as(context + ": unplaceable while a host fits").isEmpty();
    }
  }

  /** The filters restated: online, resources fit, labels equal, no group member. */
  private static boolean oracleFits(HostState h, PlacementRequest r) {
    if (h.status() != HostStatus.ONLINE) {
      return false;
    }
    Resources cap = h.capacity();
    Resources used = h.allocated();
    Resources need = r.resources();
    if (!fitsOne(need.cpuMillis(), used.cpuMillis(), cap.cpuMillis())
        || !fitsOne(need.memoryBytes(), used.memoryBytes(), cap.memoryBytes())
        || !fitsOne(need.diskBytes(), used.diskBytes(), cap.diskBytes())) {
      return false;
    }
    for (Map.Entry<String, String> l : r.requiredLabels().entrySet()) {
      if (!l.getValue().equals(h.labels().get(l.getKey()))) {
        return false;
      }
    }
    return r.antiAffinityGroup().map(g -> h.groupCount(g) == 0).orElse(true);
  }

  /**
   * One resource: a zero need always fits (it adds nothing, even to an already overcommitted
   * host); otherwise the allocation after placement must stay within capacity.
   */
  private static boolean fitsOne(long need, long used, long capacity) {
    return need == 0 || used + need <= capacity;
  }

  private static ClusterSnapshot randomSnapshot(Random random) {
    int n = random.nextInt(9); // zero hosts happens too
    List<HostState> hosts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      HostStatus[] statuses = HostStatus.values();
      HostStatus status = random.nextInt(10) < 7 ? HostStatus.ONLINE : statuses[random.nextInt(4)];
      Resources cap =
          new Resources(
              1000L * (1 + random.nextInt(16)),
              GIB * (1 + random.nextInt(32)),
              random.nextInt(5) == 0 ? 0 : GIB * (10 + random.nextInt(200)));
      Resources used =
          new Resources(
              (long) (cap.cpuMillis() * random.nextDouble() * 1.1),
              (long) (cap.memoryBytes() * random.nextDouble() * 1.1),
              (long) (cap.diskBytes() * random.nextDouble() * 1.1));
      Map<String, String> labels = new HashMap<>();
      if (random.nextBoolean()) {
        labels.put("zone", ZONES[random.nextInt(ZONES.length)]);
      }
      if (random.nextBoolean()) {
        labels.put("ssd", random.nextBoolean() ? "true" : "false");
      }
      Set<String> images = new HashSet<>();
      for (String image : IMAGES) {
        if (random.nextBoolean()) {
          images.add(image);
        }
      }
      Map<String, Integer> groups = new HashMap<>();
      if (random.nextInt(3) == 0) {
        groups.put("web", random.nextInt(3));
      }
      hosts.add(
          new HostState(
              "host-" + i, status, cap, used, labels, images, groups, random.nextInt(20)));
    }
    return new ClusterSnapshot(hosts);
  }

  private static PlacementRequest randomRequest(Random random, ClusterSnapshot s, String name) {
    PlacementRequest r =
        PlacementRequest.of(
            name,
            new Resources(
                100L * (1 + random.nextInt(40)),
                MIB * 256 * (1 + random.nextInt(24)),
                random.nextInt(4) == 0 ? 0 : GIB * random.nextInt(30)));
    if (random.nextInt(3) == 0) {
      r = r.withRequiredLabels(Map.of("zone", ZONES[random.nextInt(ZONES.length)]));
    }
    if (random.nextInt(3) == 0) {
      r = r.withAntiAffinityGroup("web");
    }
    if (random.nextBoolean()) {
      r = r.withImage(IMAGES[random.nextInt(IMAGES.length)]);
    }
    if (random.nextInt(8) == 0) {
      r = r.withTargetHost("host-" + random.nextInt(Math.max(1, s.hosts().size() + 1)));
    }
    return random.nextBoolean() ? r : r.withStrategy(Strategy.BINPACK);
  }
}
