package io.ferry.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizeTest {

  @ParameterizedTest
  @CsvSource({
    "4096, 4096",
    "512MiB, 536870912",
    "512M, 536870912",
    "2GiB, 2147483648",
    "1.5GiB, 1610612736",
    "100MB, 100000000",
    "1kB, 1000",
    "' 64 KiB ', 65536",
    "0, 0",
  })
  void parsesOperatorForms(String text, long bytes) {
    assertThat(ByteSize.parse(text).bytes()).isEqualTo(bytes);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "-1", "-5MiB", "12XB", "MiB", "1.5", "0.3KiB", "99999999999TiB", "1e6"})
  void rejectsWhatIsNotAWholeNonNegativeSize(String text) {
    assertThatThrownBy(() -> ByteSize.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(text.isEmpty() ? "not a size" : text.strip());
  }

  @Test
  void printsTheShortestExactBinaryForm() {
    assertThat(ByteSize.ofMiB(512)).hasToString("512MiB");
    assertThat(ByteSize.ofGiB(3)).hasToString("3GiB");
    assertThat(ByteSize.ofBytes(1536)).hasToString("1536B");
    assertThat(ByteSize.ofBytes(3072)).hasToString("3KiB");
    assertThat(ByteSize.parse(ByteSize.ofMiB(1536).toString())).isEqualTo(ByteSize.ofMiB(1536));
  }

  @Test
  void roundsForPeople() {
    assertThat(ByteSize.ofMiB(1536).humanReadable()).isEqualTo("1.5 GiB");
    assertThat(ByteSize.ofBytes(900).humanReadable()).isEqualTo("900 B");
    assertThat(ByteSize.ofMiB(250).humanReadable()).isEqualTo("250 MiB");
  }
}
