package io.ferry.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ScopedSystemPropertyTest {

  private static final String KEY = "ferry.test.scoped";

  @Test
  void theValueHoldsDuringTheActionOnlyAndThePreviousOneComesBack() {
    System.clearProperty(KEY);
    assertThat(ScopedSystemProperty.with(KEY, "6000", () -> System.getProperty(KEY))).isEqualTo("6000");
    assertThat(System.getProperty(KEY)).isNull();

    System.setProperty(KEY, "30000");
    try {
      assertThatThrownBy(() -> ScopedSystemProperty.with(KEY, "3000", () -> {
            throw new IllegalStateException("boom");
          }))
          .hasMessage("boom");
      assertThat(System.getProperty(KEY)).isEqualTo("30000");
    } finally {
      System.clearProperty(KEY);
    }
  }
}
