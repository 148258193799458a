package io.ferry.coordinator.placement;

import static io.ferry.coordinator.placement.Fixtures.res;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ResourcesTest {

  @Test
  void refusesNegativeComponents() {
    assertThatThrownBy(() -> new Resources(-1, 0, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot be negative");
    assertThatThrownBy(() -> new Resources(0, -1, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Resources(0, 0, -1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void addsAndSubtracts() {
    Resources a = new Resources(1000, 200, 30);
    Resources b = new Resources(500, 100, 10);
    assertThat(a.plus(b)).isEqualTo(new Resources(1500, 300, 40));
    assertThat(a.minus(b)).isEqualTo(new Resources(500, 100, 20));
  }

  @Test
  void minusRefusesGoingNegativeButSaturatingFloorsAtZero() {
    Resources a = new Resources(100, 100, 100);
    Resources b = new Resources(200, 50, 100);
    assertThatThrownBy(() -> a.minus(b)).isInstanceOf(IllegalArgumentException.class);
    assertThat(a.minusSaturating(b)).isEqualTo(new Resources(0, 50, 0));
  }

  @Test
  void plusOverflowThrows() {
    Resources big = new Resources(Long.MAX_VALUE, 0, 0);
    assertThatThrownBy(() -> big.plus(new Resources(1, 0, 0)))
        .isInstanceOf(ArithmeticException.class);
  }

  @Test
  void fitsInNeedsEveryComponentToFit() {
    Resources free = res(2, 4, 10);
    assertThat(res(2, 4, 10).fitsIn(free)).isTrue();
    assertThat(res(1, 1, 1).fitsIn(free)).isTrue();
    assertThat(res(2.1, 1, 1).fitsIn(free)).isFalse();
    assertThat(res(1, 5, 1).fitsIn(free)).isFalse();
    assertThat(res(1, 1, 11).fitsIn(free)).isFalse();
  }

  @Test
  void rendersForPeople() {
    assertThat(res(2.5, 4, 10).toString()).isEqualTo("2.5 cpus, 4.0 GiB memory, 10.0 GiB disk");
  }
}
