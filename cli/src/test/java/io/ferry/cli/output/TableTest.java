package io.ferry.cli.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TableTest {

  @Test
  void padsColumnsToTheWidestCellWithoutTrailingSpaces() {
    String table = new Table("name", "state", "host").row("web-1", "RUNNING", "host-1").row("db", "STOPPED", null).render();

    assertThat(table)
        .isEqualTo(
            "NAME   STATE    HOST\n"
                + "web-1  RUNNING  host-1\n"
                + "db     STOPPED\n");
  }

  @Test
  void refusesARowOfTheWrongWidth() {
    assertThatThrownBy(() -> new Table("a", "b").row("x")).hasMessageContaining("1 cells");
  }
}
