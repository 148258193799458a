package io.ferry.coordinator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.coordinator.CoordinatorException;
import io.ferry.coordinator.placement.Strategy;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.LaunchRequest;
import io.ferry.proto.v1.Limits;
import io.ferry.proto.v1.PlacementStrategy;
import org.junit.jupiter.api.Test;

class LaunchRequestsTest {

  private static LaunchRequest.Builder launch(String name) {
    return LaunchRequest.newBuilder().setSpec(ContainerSpec.newBuilder().setName(name).setImage("busybox"));
  }

  @Test
  void defaultsReserveAndLimitTheSameAmounts() {
    LaunchRequests.Checked checked = LaunchRequests.check(launch("web-1").build());

    assertThat(checked.placement().resources().cpuMillis()).isEqualTo(LaunchRequests.DEFAULT_CPU_MILLIS);
    assertThat(checked.placement().resources().memoryBytes()).isEqualTo(LaunchRequests.DEFAULT_MEMORY.bytes());
    assertThat(checked.placement().resources().diskBytes()).isEqualTo(LaunchRequests.DEFAULT_DISK.bytes());
    assertThat(checked.spec().getLimits().getMemoryBytes()).isEqualTo(LaunchRequests.DEFAULT_MEMORY.bytes());
    assertThat(checked.spec().getLimits().getCpuQuotaMicros()).isEqualTo(50_000);
    assertThat(checked.spec().getLimits().getCpuPeriodMicros()).isEqualTo(100_000);
    assertThat(checked.placement().imageRequired()).isTrue();
    assertThat(checked.placement().strategy()).isEqualTo(Strategy.SPREAD);
  }

  @Test
  void explicitValuesAreKept() {
    LaunchRequests.Checked checked =
        LaunchRequests.check(
            launch("db-1")
                .setSpec(ContainerSpec.newBuilder().setName("db-1").setImage("debian/12").setLimits(Limits.newBuilder().setMemoryBytes(1L << 30).setCpuQuotaMicros(200_000).setCpuPeriodMicros(100_000)))
                .setCpuMillis(2000)
                .setDiskBytes(5L << 30)
                .putRequiredLabels("zone", "a")
                .setAntiAffinityGroup("db")
                .setTargetHost("host-2")
                .setStrategy(PlacementStrategy.PLACEMENT_STRATEGY_BINPACK)
                .build());

    assertThat(checked.placement().resources().cpuMillis()).isEqualTo(2000);
    assertThat(checked.placement().resources().memoryBytes()).isEqualTo(1L << 30);
    assertThat(checked.spec().getLimits().getCpuQuotaMicros()).isEqualTo(200_000);
    assertThat(checked.placement().requiredLabels()).containsEntry("zone", "a");
    assertThat(checked.placement().antiAffinityGroup()).hasValue("db");
    assertThat(checked.placement().targetHost()).hasValue("host-2");
    assertThat(checked.placement().strategy()).isEqualTo(Strategy.BINPACK);
  }

  @Test
  void badInputIsRefusedWithTheFieldInTheMessage() {
    assertThatThrownBy(() -> LaunchRequests.check(LaunchRequest.getDefaultInstance())).hasMessageContaining("spec");
    assertThatThrownBy(() -> LaunchRequests.check(launch("Web_1").build())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LaunchRequests.check(launch("web-1").setSpec(ContainerSpec.newBuilder().setName("web-1")).build()))
        .isInstanceOfSatisfying(CoordinatorException.class, e -> assertThat(e.kind()).isEqualTo(CoordinatorException.Kind.INVALID_ARGUMENT))
        .hasMessageContaining("no image");
    assertThatThrownBy(() -> LaunchRequests.check(launch("web-1").setSpec(ContainerSpec.newBuilder().setName("web-1").setImage("busybox").setLimits(Limits.newBuilder().setMemoryBytes(1024))).build()))
        .hasMessageContaining("below the minimum");
    assertThatThrownBy(() -> LaunchRequests.check(launch("web-1").putRequiredLabels("bad key", "x").build())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LaunchRequests.check(launch("web-1").setAntiAffinityGroup("Not OK").build())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LaunchRequests.check(launch("web-1").setTargetHost("../etc").build())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LaunchRequests.check(launch("web-1").setCpuMillis(5_000_000).build())).hasMessageContaining("cpu");
  }
}
