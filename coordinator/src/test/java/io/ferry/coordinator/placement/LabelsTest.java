package io.ferry.coordinator.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class LabelsTest {

  @ParameterizedTest
  @ValueSource(
      strings = {"zone", "a", "gpu-count", "disk_type", "v1.2", "topology.ferry.io/zone", "x/y"})
  void acceptsGoodKeys(String key) {
    assertThat(Labels.keyProblem(key)).isNull();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "", "Zone", "-zone", "zone-", "zo ne", "/zone", "ferry.io/", "a/b/c", "Ferry.io/zone",
        "-x.io/zone", "x..io/zone"
      })
  void refusesBadKeys(String key) {
    assertThat(Labels.keyProblem(key)).isNotNull();
  }

  @Test
  void refusesTooLongKeyNamesAndPrefixes() {
    assertThat(Labels.keyProblem("a".repeat(63))).isNull();
    assertThat(Labels.keyProblem("a".repeat(64))).contains("is not valid");
    String prefix = ("a".repeat(63) + ".").repeat(4) + "io";
    assertThat(prefix.length()).isGreaterThan(253);
    assertThat(Labels.keyProblem(prefix + "/zone")).contains("bad prefix");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "a", "eu-west-1", "A.b_c-9", "0"})
  void acceptsGoodValues(String value) {
    assertThat(Labels.valueProblem("k", value)).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"a b", "a/b", "é", "a=b"})
  void refusesBadValues(String value) {
    assertThat(Labels.valueProblem("k", value)).contains("label 'k' has a bad value");
  }

  @Test
  void refusesTooLongValues() {
    assertThat(Labels.valueProblem("k", "x".repeat(63))).isNull();
    assertThat(Labels.valueProblem("k", "x".repeat(64))).isNotNull();
  }

  @Test
  void requireValidNamesTheBadEntry() {
    assertThatThrownBy(() -> Labels.requireValid(Map.of("zone", "a", "Bad", "x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("label key 'Bad' is not valid");
    assertThatThrownBy(() -> Labels.requireValid(Map.of("zone", "a b")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("label 'zone' has a bad value 'a b'");
  }

  @Test
  void copyIsSortedAndImmutable() {
    Map<String, String> copy = Labels.copyOf(Map.of("b", "2", "a", "1"));
    assertThat(copy.keySet()).containsExactly("a", "b");
    assertThatThrownBy(() -> copy.put("c", "3")).isInstanceOf(UnsupportedOperationException.class);
  }
}
