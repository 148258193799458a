package io.ferry.coordinator.placement;

import static io.ferry.coordinator.placement.Fixtures.host;
import static io.ferry.coordinator.placement.Fixtures.request;
import static io.ferry.coordinator.placement.Fixtures.res;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** Ranking of fitting hosts: strategies, image preference, tie-break, explanations. */
class PlacerScoringTest {

  private final Placer placer = new Placer();
  private static final Resources CAP = res(8, 16, 100);

  private static String chosen(PlacementDecision d) {
    assertThat(d).isInstanceOf(PlacementDecision.Placed.class);
    return ((PlacementDecision.Placed) d).host();
  }

  @Test
  void spreadAndBinpackChooseDifferentlyOnTheSameSnapshot() {
    ClusterSnapshot s =
        ClusterSnapshot.of(
            host("host-a", CAP),
            host("host-b", CAP, res(4, 8, 50)).withContainerCount(4),
            host("host-c", CAP, res(2, 4, 25)).withContainerCount(2));
    PlacementRequest r = request("web-1", res(1, 2, 5));
    assertThat(chosen(placer.place(s, r))).isEqualTo("host-a");
    assertThat(chosen(placer.place(s, r.withStrategy(Strategy.BINPACK)))).isEqualTo("host-b");
  }

  @Test
  void binpackPicksTheFullestHostThatStillFits() {
    ClusterSnapshot s =
        ClusterSnapshot.of(
            host("host-a", CAP, res(7.5, 15, 99)),
            host("host-b", CAP, res(6, 12, 50)),
            host("host-c", CAP));
    PlacementRequest r = request("web-1", res(1, 2, 5)).withStrategy(Strategy.BINPACK);
    PlacementDecision d = placer.place(s, r);
    assertThat(chosen(d)).isEqualTo("host-b");
    assertThat(d.verdicts()).extracting(HostVerdict::host).containsExactly("host-b", "host-c", "host-a");
  }

  @Test
  void spreadPrefersFewerContainersWhenEquallyFree() {
    ClusterSnapshot s =
        ClusterSnapshot.of(
            host("host-a", CAP).withContainerCount(3), host("host-b", CAP).withContainerCount(1));
    assertThat(chosen(placer.place(s, request("web-1", res(1, 1, 1))))).isEqualTo("host-b");
  }

  @Test
  void imagePreferenceBreaksANearTie() {
    ClusterSnapshot s =
        ClusterSnapshot.of(
            host("host-a", CAP),
            host("host-b", CAP, res(0.1, 0, 0)).withImages(Set.of("sha256:abc", "debian-12")));
    PlacementRequest r = request("web-1", res(1, 2, 5));
    assertThat(chosen(placer.place(s, r))).isEqualTo("host-a");
    assertThat(chosen(placer.place(s, r.withImage("debian-12")))).isEqualTo("host-b");
    assertThat(chosen(placer.place(s, r.withImage("sha256:abc")))).isEqualTo("host-b");
    assertThat(chosen(placer.place(s, r.withImage("alpine")))).isEqualTo("host-a");
    assertThat(chosen(placer.place(s, r.withImage("debian-12").withStrategy(Strategy.BINPACK))))
        .isEqualTo("host-b");
  }

  @Test
  void imagePreferenceDoesNotOutweighAClearlyBetterFit() {
    ClusterSnapshot s =
        ClusterSnapshot.of(
            host("host-a", CAP), host("host-b", CAP, res(4, 8, 50)).withImages(Set.of("debian-12")));
    assertThat(chosen(placer.place(s, request("web-1", res(1, 2, 5)).withImage("debian-12"))))
        .isEqualTo("host-a");
  }

  @Test
  void tiesGoToTheHostWhoseNameSortsFirstWhateverTheOrder() {
    PlacementRequest r = request("web-1", res(1, 1, 1));
    ClusterSnapshot forward =
        ClusterSnapshot.of(host("host-1", CAP), host("host-2", CAP), host("host-3", CAP));
    ClusterSnapshot backward =
        ClusterSnapshot.of(host("host-3", CAP), host("host-2", CAP), host("host-1", CAP));
    PlacementDecision a = placer.place(forward, r);
    PlacementDecision b = placer.place(backward, r);
    assertThat(chosen(a)).isEqualTo("host-1");
    assertThat(b).isEqualTo(a);
    assertThat(a.verdicts()).extracting(HostVerdict::host).containsExactly("host-1", "host-2", "host-3");
    assertThat(chosen(placer.place(forward, r.withStrategy(Strategy.BINPACK)))).isEqualTo("host-1");
  }

  @Test
  void fittingVerdictExplainsTheScore() {
    ClusterSnapshot s = ClusterSnapshot.of(host("host-1", CAP));
    PlacementRequest r = request("web-1", res(2, 4, 0));
    PlacementDecision spread = placer.place(s, r);
    assertThat(((PlacementDecision.Placed) spread).score()).isCloseTo(0.8 * 5 / 6 + 0.2, within(1e-9));
    assertThat(spread.verdicts().get(0).reason())
        .isEqualTo(
            "host-1: fits, score 0.867 (spread: 75% cpu, 75% memory, 100% disk free after"
                + " placement, 0 containers)");
    PlacementDecision binpack =
        placer.place(
            ClusterSnapshot.of(host("host-1", CAP).withImages(Set.of("debian-12"))),
            r.withStrategy(Strategy.BINPACK).withImage("debian-12"));
    assertThat(binpack.verdicts().get(0).score()).isCloseTo(1.0 / 6 + 0.05, within(1e-9));
    assertThat(binpack.verdicts().get(0).reason())
        .isEqualTo(
            "host-1: fits, score 0.217 (binpack: 75% cpu, 75% memory, 100% disk free after"
                + " placement, holds image debian-12)");
  }

  @Test
  void hostWithoutDiskCapacityIsJudgedOnCpuAndMemory() {
    ClusterSnapshot s = ClusterSnapshot.of(host("host-1", res(4, 8, 0)));
    PlacementDecision d = placer.place(s, request("web-1", res(2, 4, 0)));
    assertThat(d.verdicts().get(0).reason())
        .isEqualTo("host-1: fits, score 0.600 (spread: 50% cpu, 50% memory free after placement,"
            + " 0 containers)");
  }

  @Test
  void explainListsTheChosenHostFirstThenOthersThenRefused() {
    ClusterSnapshot s =
        ClusterSnapshot.of(
            host("host-3", CAP).withStatus(HostStatus.OFFLINE),
            host("host-2", CAP, res(4, 8, 50)),
            host("host-1", CAP));
    PlacementDecision d = placer.place(s, request("web-1", res(2, 4, 0)));
    assertThat(d.explain())
        .isEqualTo(
            "* host-1: fits, score 0.867 (spread: 75% cpu, 75% memory, 100% disk free after"
                + " placement, 0 containers)\n"
                + "  host-2: fits, score 0.467 (spread: 25% cpu, 25% memory, 50% disk free after"
                + " placement, 0 containers)\n"
                + "  host-3: offline");
  }

  @Test
  void explainOfUnplaceableListsEveryReasonByHost() {
    ClusterSnapshot s =
        ClusterSnapshot.of(
            host("host-2", res(1, 1, 1)), host("host-1", CAP).withStatus(HostStatus.EVACUATING));
    PlacementDecision d = placer.place(s, request("web-1", res(2, 1, 0)));
    assertThat(d).isInstanceOf(PlacementDecision.Unplaceable.class);
    assertThat(d.explain())
        .isEqualTo("  host-1: evacuating\n  host-2: needs 2.0 cpus, 1.0 free");
  }
}
