package io.ferry.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NamesTest {

  @ParameterizedTest
  @ValueSource(strings = {"web", "web-1", "a", "db2", "x23456789012345678901234567890123456789012345678901234567890123"})
  void acceptsDnsLabels(String name) {
    assertThat(Names.problem("container", name)).isNull();
    assertThat(Names.require("container", name)).isEqualTo(name);
  }

  @ParameterizedTest
  @ValueSource(strings = {"Web", "1web", "web-", "-web", "we_b", "web.1", "../etc", "a/b", "web 1", "wéb"})
  void rejectsEverythingElseWithTheReason(String name) {
    assertThat(Names.problem("container", name)).contains("'" + name + "'").contains("DNS label");
  }

  @Test
  void rejectsEmptyAndOverlongNames() {
    assertThat(Names.problem("image", "")).isEqualTo("image name is required");
    assertThat(Names.problem("image", null)).isEqualTo("image name is required");
    assertThatThrownBy(() -> Names.require("host", "a".repeat(64)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("longer than 63");
  }
}
