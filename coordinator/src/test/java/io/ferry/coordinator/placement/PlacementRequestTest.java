package io.ferry.coordinator.placement;

import static io.ferry.coordinator.placement.Fixtures.res;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PlacementRequestTest {

  @Test
  void defaultsToSpreadWithNoConstraints() {
    PlacementRequest r = PlacementRequest.of("web-1", res(1, 1, 1));
    assertThat(r.strategy()).isEqualTo(Strategy.SPREAD);
    assertThat(r.requiredLabels()).isEmpty();
    assertThat(r.antiAffinityGroup()).isEmpty();
    assertThat(r.image()).isEmpty();
    assertThat(r.targetHost()).isEmpty();
  }

  @Test
  void refusesNonPositiveCpuOrMemory() {
    assertThatThrownBy(() -> PlacementRequest.of("web-1", new Resources(0, 1, 0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("container web-1: cpu must be positive, got 0m");
    assertThatThrownBy(() -> PlacementRequest.of("web-1", new Resources(100, 0, 0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("container web-1: memory must be positive, got 0 bytes");
  }

  @Test
  void allowsZeroDisk() {
    assertThat(PlacementRequest.of("web-1", new Resources(100, 1, 0)).resources().diskBytes())
        .isZero();
  }

  @Test
  void refusesBadContainerName() {
    assertThatThrownBy(() -> PlacementRequest.of("Web_1", res(1, 1, 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("container name 'Web_1' is not a DNS label");
    assertThatThrownBy(() -> PlacementRequest.of("", res(1, 1, 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("container name is required");
  }

  @Test
  void refusesBadLabels() {
    PlacementRequest r = PlacementRequest.of("web-1", res(1, 1, 1));
    assertThatThrownBy(() -> r.withRequiredLabels(Map.of("Zone", "a")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("label key 'Zone'");
    assertThatThrownBy(() -> r.withRequiredLabels(Map.of("zone", "a/b")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bad value 'a/b'");
  }

  @Test
  void refusesBadGroupTargetAndImage() {
    PlacementRequest r = PlacementRequest.of("web-1", res(1, 1, 1));
    assertThatThrownBy(() -> r.withAntiAffinityGroup("Web Group"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("anti-affinity group name");
    assertThatThrownBy(() -> r.withTargetHost("host_1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("target host name");
    assertThatThrownBy(() -> r.withImage(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("image reference is blank");
  }

  @Test
  void hostStateValidatesToo() {
    assertThatThrownBy(() -> HostState.empty("Host", res(1, 1, 1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HostState.empty("h", res(1, 1, 1)).withContainerCount(-1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HostState.empty("h", res(1, 1, 1)).withLabels(Map.of("k", "a b")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> HostState.empty("h", res(1, 1, 1)).withAntiAffinityGroups(Map.of("web", -1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void snapshotRefusesDuplicateHosts() {
    HostState h = HostState.empty("h", res(1, 1, 1));
    assertThatThrownBy(() -> ClusterSnapshot.of(h, h))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("host h appears twice in the snapshot");
    assertThat(ClusterSnapshot.of(h).host("h")).contains(h);
    assertThat(ClusterSnapshot.of(h).host("x")).isEmpty();
  }
}
