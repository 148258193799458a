package io.ferry.coordinator.placement;

import static io.ferry.coordinator.placement.Fixtures.host;
import static io.ferry.coordinator.placement.Fixtures.request;
import static io.ferry.coordinator.placement.Fixtures.res;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

class PlacementBatchTest {

  private final PlacementBatch batch = new PlacementBatch(new Placer());

  private static List<PlacementRequest> requests(int n, IntFunction<PlacementRequest> make) {
    List<PlacementRequest> list = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      list.add(make.apply(i));
    }
    return list;
  }

  /** Five hosts with room for two containers of 1 cpu and 2 GiB each: ten places. */
  private static ClusterSnapshot tenPlaces() {
    List<HostState> hosts = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      hosts.add(host("host-" + i, res(2, 4, 50)));
    }
    return new ClusterSnapshot(hosts);
  }

  @Test
  void twentyRequestsAgainstTenPlacesPlaceExactlyTen() {
    ClusterSnapshot before = tenPlaces();
    PlacementBatch.Result result =
        batch.placeAll(before, requests(20, i -> request("web-" + i, res(1, 2, 5))));
    assertThat(result.decisions()).hasSize(20);
    assertThat(result.placedCount()).isEqualTo(10);
    assertThat(result.decisions().subList(0, 10))
        .allMatch(d -> d instanceof PlacementDecision.Placed);
    assertThat(result.decisions().subList(10, 20))
        .allMatch(d -> d instanceof PlacementDecision.Unplaceable);
    for (HostState h : result.after().hosts()) {
      assertThat(h.allocated().fitsIn(h.capacity())).as(h.name()).isTrue();
      assertThat(h.allocated()).isEqualTo(res(2, 4, 10));
      assertThat(h.containerCount()).isEqualTo(2);
    }
    assertThat(result.decisions().get(10).verdicts())
        .extracting(HostVerdict::reason)
        .contains("host-1: needs 1.0 cpus, 0.0 free; needs 2.0 GiB memory, 0 B free");
    assertThat(before).isEqualTo(tenPlaces());
  }

  @Test
  void spreadFillsHostsEvenlyAndBinpackFillsOneFirst() {
    List<PlacementRequest> five = requests(5, i -> request("web-" + i, res(1, 2, 5)));
    List<String> spread =
        batch.placeAll(tenPlaces(), five).decisions().stream()
            .map(d -> ((PlacementDecision.Placed) d).host())
            .toList();
    assertThat(spread).containsExactly("host-1", "host-2", "host-3", "host-4", "host-5");
    List<String> packed =
        batch
            .placeAll(
                tenPlaces(),
                requests(5, i -> request("web-" + i, res(1, 2, 5)).withStrategy(Strategy.BINPACK)))
            .decisions()
            .stream()
            .map(d -> ((PlacementDecision.Placed) d).host())
            .toList();
    assertThat(packed).containsExactly("host-1", "host-1", "host-2", "host-2", "host-3");
  }

  @Test
  void antiAffinityHoldsWithinABatch() {
    PlacementBatch.Result result =
        batch.placeAll(
            ClusterSnapshot.of(
                host("host-1", res(8, 16, 100)),
                host("host-2", res(8, 16, 100)),
                host("host-3", res(8, 16, 100))),
            requests(5, i -> request("web-" + i, res(1, 1, 1)).withAntiAffinityGroup("web")));
    assertThat(result.placedCount()).isEqualTo(3);
    assertThat(result.decisions().subList(0, 3))
        .extracting(d -> ((PlacementDecision.Placed) d).host())
        .containsExactlyInAnyOrder("host-1", "host-2", "host-3");
    assertThat(result.decisions().get(3).verdicts())
        .extracting(HostVerdict::reason)
        .containsExactly(
            "host-1: already runs 1 container of anti-affinity group web",
            "host-2: already runs 1 container of anti-affinity group web",
            "host-3: already runs 1 container of anti-affinity group web");
    assertThat(result.after().hosts())
        .allSatisfy(h -> assertThat(h.antiAffinityGroups()).isEqualTo(Map.of("web", 1)));
  }

  @Test
  void aPlacedImageCountsAsHeldForLaterRequests() {
    PlacementBatch.Result result =
        batch.placeAll(
            ClusterSnapshot.of(host("host-1", res(8, 16, 100)), host("host-2", res(8, 16, 100))),
            List.of(request("web-1", res(1, 1, 1)).withImage("debian-12")));
    assertThat(result.after().host("host-1").orElseThrow().images()).containsExactly("debian-12");
    assertThat(result.after().host("host-2").orElseThrow().images()).isEmpty();
  }

  @Test
  void refusesDuplicateContainerNames() {
    assertThatThrownBy(
            () ->
                batch.placeAll(
                    tenPlaces(),
                    List.of(request("web-1", res(1, 1, 1)), request("web-1", res(1, 1, 1)))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("container web-1 appears twice in the batch");
  }

  @Test
  void emptyBatchChangesNothing() {
    PlacementBatch.Result result = batch.placeAll(tenPlaces(), List.of());
    assertThat(result.decisions()).isEmpty();
    assertThat(result.after()).isEqualTo(tenPlaces());
  }
}
