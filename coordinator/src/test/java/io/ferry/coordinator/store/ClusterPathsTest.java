package io.ferry.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ClusterPathsTest {

  @Test
  void buildsPathsUnderTheClusterRoot() {
    ClusterPaths p = new ClusterPaths("prod");
    assertThat(p.root()).isEqualTo("/ferry/prod");
    assertThat(p.coordinator("coordinator-2")).isEqualTo("/ferry/prod/coordinators/coordinator-2");
  }

  @Test
  void namesCannotClimbOutOfTheTree() {
    assertThatThrownBy(() -> new ClusterPaths("prod").coordinator("../../zookeeper"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ClusterPaths("a/b")).isInstanceOf(IllegalArgumentException.class);
  }
}
