package io.ferry.agent.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.agent.AgentException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EntryPathsTest {

  @ParameterizedTest
  @CsvSource({
    "./, ''",
    "., ''",
    "./etc/, etc",
    "etc//passwd, etc/passwd",
    "./usr/./bin/su, usr/bin/su",
    "a/b/c/, a/b/c",
    "...., ....",
    "a..b, a..b",
  })
  void normalizesNames(String raw, String normalized) {
    assertThat(EntryPaths.normalize(raw, "entry")).isEqualTo(normalized);
  }

  @ParameterizedTest
  @CsvSource({"/etc/passwd, absolute", "../x, '..'", "a/../b, '..'", "a/.., '..'", "'', empty"})
  void refusesNames(String raw, String reason) {
    assertThatThrownBy(() -> EntryPaths.normalize(raw, "entry 'x'"))
        .isInstanceOf(AgentException.class)
        .hasMessageStartingWith("entry 'x'")
        .hasMessageContaining(reason);
  }

  @ParameterizedTest
  @CsvSource({
    "bin/sh, busybox, true",
    "usr/lib/x, ../../etc/passwd, true",
    "usr/lib/x, ../../../etc/passwd, false",
    "a/b, ../../../etc, false",
    "x, ., true",
    "x, .., false",
    "x, a/../../y, false",
    "x, a/b/../../c, true",
  })
  void resolvesRelativeTargetsLexically(String link, String target, boolean inside) {
    assertThat(EntryPaths.staysInside(link, target)).isEqualTo(inside);
  }

  @Test
  void quotesHostileNamesSafely() {
    assertThat(EntryPaths.quote("a\nb'c\u202e")).isEqualTo("'a\\u000ab\\'c\\u202e'");
    assertThat(EntryPaths.quote("x".repeat(500))).hasSize(1 + 200 + 3 + 1).endsWith("...'");
  }
}
