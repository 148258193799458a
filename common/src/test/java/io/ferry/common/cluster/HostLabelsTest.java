package io.ferry.common.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HostLabelsTest {

  @Test
  void parsesTheOperatorsForm() {
    assertThat(HostLabels.parse("zone=a, ssd=true,topology.ferry.io/rack=r-12,empty="))
        .containsExactly(
            Map.entry("empty", ""), Map.entry("ssd", "true"), Map.entry("topology.ferry.io/rack", "r-12"), Map.entry("zone", "a"));
    assertThat(HostLabels.parse("")).isEmpty();
    assertThat(HostLabels.parse(null)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"zone", "=a", "zone=a,zone=b", "zone=a,", "Zone=a", "zone=a b", "-zone=a", "bad_prefix/zone=a"})
  void refusesMalformedEntriesNamingThem(String text) {
    assertThatThrownBy(() -> HostLabels.parse(text)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("label");
  }

  @Test
  void refusesOverlongKeysAndValues() {
    assertThat(HostLabels.keyProblem("k".repeat(64))).contains("not valid");
    assertThat(HostLabels.valueProblem("k", "v".repeat(64))).contains("bad value");
    assertThat(HostLabels.keyProblem("k".repeat(63))).isNull();
  }
}
