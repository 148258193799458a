package io.ferry.coordinator.placement;

import static io.ferry.coordinator.placement.Fixtures.GIB;
import static io.ferry.coordinator.placement.Fixtures.MIB;
import static io.ferry.coordinator.placement.Fixtures.host;
import static io.ferry.coordinator.placement.Fixtures.request;
import static io.ferry.coordinator.placement.Fixtures.res;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each filter alone, with the exact reason an admin reads. */
class PlacerFilterTest {

  private final Placer placer = new Placer();

  private static final Resources BIG = res(8, 16, 100);

  /** The only verdict of placing {@code r} on a one-host cluster. */
  private HostVerdict only(HostState h, PlacementRequest r) {
    PlacementDecision d = placer.place(ClusterSnapshot.of(h), r);
    assertThat(d.verdicts()).hasSize(1);
    return d.verdicts().get(0);
  }

  private void assertRefused(HostState h, PlacementRequest r, String reason) {
    PlacementDecision d = placer.place(ClusterSnapshot.of(h), r);
    assertThat(d).isInstanceOf(PlacementDecision.Unplaceable.class);
    HostVerdict v = d.verdicts().get(0);
    assertThat(v.fits()).isFalse();
    assertThat(v.score()).isNaN();
    assertThat(v.reason()).isEqualTo(reason);
  }

  @Test
  void offlineEvacuatingAndEvacuatedHostsAreRefused() {
    PlacementRequest r = request("web-1", res(1, 1, 1));
    assertRefused(host("host-3", BIG).withStatus(HostStatus.OFFLINE), r, "host-3: offline");
    assertRefused(host("host-1", BIG).withStatus(HostStatus.EVACUATING), r, "host-1: evacuating");
    assertRefused(host("host-2", BIG).withStatus(HostStatus.EVACUATED), r, "host-2: evacuated");
  }

  @Test
  void aHostWhoseNetworkIsNotTheClustersTakesNothingAndSaysWhy() {
    String why = io.ferry.coordinator.hosts.HostDirectory.unplaceable(
        new io.ferry.common.cluster.HostRegistration("host-2", "10.0.0.12:7701", 1000, 1L << 30, 0, java.util.Map.of(), "dev")
            .withNetwork(new io.ferry.common.cluster.HostNetwork("10.234.1.0/24", "")),
        io.ferry.coordinator.network.ClusterNetwork.defaults());
    assertThat(why).isEqualTo("network 10.234.1.0/24 is not the cluster's 10.100.0.0/16");
    PlacementRequest r = request("web-1", res(1, 1, 1));
    assertRefused(host("host-2", BIG).withUnplaceable(why), r, "host-2: network 10.234.1.0/24 is not the cluster's 10.100.0.0/16");
    assertThat(placer.place(ClusterSnapshot.of(host("host-1", BIG), host("host-2", BIG).withUnplaceable(why)), r))
        .isInstanceOfSatisfying(PlacementDecision.Placed.class, p -> assertThat(p.host()).isEqualTo("host-1"));
    assertThat(host("host-2", BIG).withUnplaceable(why).withStatus(HostStatus.ONLINE).withAllocated(res(1, 1, 1)).unplaceable())
        .as("kept by every with*").isEqualTo(why);
  }

  @Test
  void hostsThatRegisterTheClustersNetworkOrNoneArePlaceable() {
    io.ferry.coordinator.network.ClusterNetwork net = io.ferry.coordinator.network.ClusterNetwork.defaults();
    io.ferry.common.cluster.HostRegistration plain =
        new io.ferry.common.cluster.HostRegistration("host-1", "10.0.0.11:7701", 1000, 1L << 30, 0, java.util.Map.of(), "dev");
    assertThat(io.ferry.coordinator.hosts.HostDirectory.unplaceable(plain, net)).isEmpty();
    assertThat(io.ferry.coordinator.hosts.HostDirectory.unplaceable(
            plain.withNetwork(new io.ferry.common.cluster.HostNetwork("10.100.0.0/16", "10.77.0.11")), net))
        .isEmpty();
  }

  @Test
  void anOfflineHostIsRefusedForThatAloneEvenWhenFull() {
    HostState h = host("host-3", res(1, 1, 1), res(1, 1, 1)).withStatus(HostStatus.OFFLINE);
    assertRefused(h, request("web-1", res(1, 1, 1)), "host-3: offline");
  }

  @Test
  void memoryMustFitAfterAllocations() {
    HostState h = host("host-2", res(8, 4, 100), new Resources(0, 3 * GIB, 0));
    assertRefused(
        h,
        request("web-1", new Resources(500, 2048 * MIB, 0)),
        "host-2: needs 2.0 GiB memory, 1.0 GiB free");
    assertRefused(
        h,
        request("web-1", new Resources(500, 1536 * MIB, 0)),
        "host-2: needs 1.5 GiB memory, 1.0 GiB free");
  }

  @Test
  void cpuMustFitAfterAllocations() {
    HostState h = host("host-6", res(4, 16, 100), res(3.5, 0, 0));
    assertRefused(h, request("web-1", res(2, 1, 0)), "host-6: needs 2.0 cpus, 0.5 free");
  }

  @Test
  void diskMustFitAfterAllocations() {
    HostState h = host("host-7", res(8, 16, 20), res(0, 0, 16));
    assertRefused(h, request("web-1", res(1, 1, 10)), "host-7: needs 10.0 GiB disk, 4.0 GiB free");
  }

  @Test
  void exactFitIsAccepted() {
    HostState h = host("host-1", res(4, 8, 10), res(2, 4, 5));
    assertThat(only(h, request("web-1", res(2, 4, 5))).fits()).isTrue();
  }

  @Test
  void nearMissesAreNotHiddenByRounding() {
    HostState h = host("host-6", res(4, 16, 100), new Resources(3000, 0, 0));
    assertRefused(
        h, request("web-1", new Resources(1001, GIB, 0)), "host-6: needs 1.001 cpus, 1.000 free");
    HostState m = host("host-2", new Resources(8000, 2 * GIB, 0), new Resources(0, GIB, 0));
    assertRefused(
        m,
        request("web-1", new Resources(100, GIB + 1, 0)),
        "host-2: needs 1073741825 B memory, 1073741824 B free");
  }

  @Test
  void overAllocatedHostHasNothingFree() {
    HostState h = host("host-2", res(8, 4, 100), res(1, 6, 0));
    assertRefused(
        h, request("web-1", new Resources(100, 64 * MIB, 0)), "host-2: needs 64.0 MiB memory, 0 B free");
  }

  @Test
  void aZeroNeedIsNotRefusedForAnOvercommittedResource() {
    HostState h = host("host-2", res(8, 16, 10), res(0, 0, 12));
    assertThat(only(h, request("web-1", res(1, 1, 0))).fits()).isTrue();
    assertRefused(h, request("web-1", res(1, 1, 1)), "host-2: needs 1.0 GiB disk, 0 B free");
  }

  @Test
  void requiredLabelsMustMatchExactly() {
    HostState a = host("host-4", BIG).withLabels(Map.of("zone", "a"));
    PlacementRequest r = request("web-1", res(1, 1, 1)).withRequiredLabels(Map.of("zone", "b"));
    assertRefused(a, r, "host-4: missing label zone=b (has zone=a)");
    assertRefused(host("host-4", BIG), r, "host-4: missing label zone=b (has no zone)");
    HostState b = host("host-4", BIG).withLabels(Map.of("zone", "b", "ssd", "true"));
    assertThat(only(b, r).fits()).isTrue();
  }

  @Test
  void labelValuesAreCaseSensitive() {
    HostState h = host("host-4", BIG).withLabels(Map.of("zone", "B"));
    PlacementRequest r = request("web-1", res(1, 1, 1)).withRequiredLabels(Map.of("zone", "b"));
    assertRefused(h, r, "host-4: missing label zone=b (has zone=B)");
  }

  @Test
  void antiAffinityAllowsOneContainerOfTheGroupPerHost() {
    PlacementRequest r = request("web-2", res(1, 1, 1)).withAntiAffinityGroup("web");
    HostState one = host("host-5", BIG).withAntiAffinityGroups(Map.of("web", 1));
    assertRefused(one, r, "host-5: already runs 1 container of anti-affinity group web");
    HostState two = host("host-5", BIG).withAntiAffinityGroups(Map.of("web", 2));
    assertRefused(two, r, "host-5: already runs 2 containers of anti-affinity group web");
    HostState other = host("host-5", BIG).withAntiAffinityGroups(Map.of("db", 3, "web", 0));
    assertThat(only(other, r).fits()).isTrue();
    assertThat(only(one, request("web-2", res(1, 1, 1))).fits())
        .as("a request without a group ignores groups")
        .isTrue();
  }

  @Test
  void antiAffinityPicksTheHostWithoutTheGroup() {
    ClusterSnapshot s =
        ClusterSnapshot.of(
            host("host-1", BIG).withAntiAffinityGroups(Map.of("web", 1)),
            host("host-2", res(2, 2, 10), res(1, 1, 5)));
    PlacementDecision d = placer.place(s, request("web-2", res(1, 1, 1)).withAntiAffinityGroup("web"));
    assertThat(d).isInstanceOf(PlacementDecision.Placed.class);
    assertThat(((PlacementDecision.Placed) d).host()).isEqualTo("host-2");
  }

  @Test
  void everyFailingFilterIsReportedInOrder() {
    HostState h =
        host("host-9", res(1, 1, 1), res(1, 1, 1))
            .withLabels(Map.of("zone", "a"))
            .withAntiAffinityGroups(Map.of("web", 1));
    PlacementRequest r =
        request("web-2", res(1, 1, 1))
            .withRequiredLabels(Map.of("zone", "b"))
            .withAntiAffinityGroup("web");
    assertRefused(
        h,
        r,
        "host-9: needs 1.0 cpus, 0.0 free; needs 1.0 GiB memory, 0 B free;"
            + " needs 1.0 GiB disk, 0 B free; missing label zone=b (has zone=a);"
            + " already runs 1 container of anti-affinity group web");
  }

  @Test
  void targetHostIsTheOnlyHostConsidered() {
    ClusterSnapshot s = ClusterSnapshot.of(host("host-1", BIG), host("host-2", res(2, 2, 10)));
    PlacementDecision d = placer.place(s, request("web-1", res(1, 1, 1)).withTargetHost("host-2"));
    assertThat(d).isInstanceOf(PlacementDecision.Placed.class);
    assertThat(((PlacementDecision.Placed) d).host()).isEqualTo("host-2");
    assertThat(d.verdicts()).extracting(HostVerdict::host).containsExactly("host-2");
  }

  @Test
  void targetHostMustStillPassTheFilters() {
    ClusterSnapshot s =
        ClusterSnapshot.of(host("host-1", BIG), host("host-2", res(2, 2, 10), res(2, 0, 0)));
    PlacementDecision d = placer.place(s, request("web-1", res(1, 1, 1)).withTargetHost("host-2"));
    assertThat(d).isInstanceOf(PlacementDecision.Unplaceable.class);
    assertThat(d.verdicts())
        .extracting(HostVerdict::reason)
        .containsExactly("host-2: needs 1.0 cpus, 0.0 free");
  }

  @Test
  void unknownTargetHostIsRefused() {
    ClusterSnapshot s = ClusterSnapshot.of(host("host-1", BIG));
    PlacementDecision d = placer.place(s, request("web-1", res(1, 1, 1)).withTargetHost("host-9"));
    assertThat(d).isInstanceOf(PlacementDecision.Unplaceable.class);
    assertThat(d.verdicts())
        .extracting(HostVerdict::reason)
        .containsExactly("host-9: no such host in the cluster");
  }

  @Test
  void emptyClusterIsUnplaceable() {
    PlacementDecision d = placer.place(new ClusterSnapshot(List.of()), request("web-1", res(1, 1, 1)));
    assertThat(d).isInstanceOf(PlacementDecision.Unplaceable.class);
    assertThat(d.verdicts()).isEmpty();
    assertThat(d.explain()).isEqualTo("no hosts to consider");
  }
}
