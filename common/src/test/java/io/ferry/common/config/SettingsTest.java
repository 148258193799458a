package io.ferry.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.common.ByteSize;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {

  @Test
  void readsTypedValuesAndFallsBackToDefaults() {
    Settings s =
        Settings.of(
            "test",
            Map.of("listen.port", "7443", "session.timeout", "6s", "quota", "2GiB", "debug", "true"));

    assertThat(s.port("listen.port", 1)).isEqualTo(7443);
    assertThat(s.duration("session.timeout", Duration.ZERO)).isEqualTo(Duration.ofSeconds(6));
    assertThat(s.size("quota", ByteSize.ofBytes(0))).isEqualTo(ByteSize.ofGiB(2));
    assertThat(s.flag("debug", false)).isTrue();
    assertThat(s.duration("absent", Duration.ofMillis(500))).isEqualTo(Duration.ofMillis(500));
    s.rejectUnknownKeys();
  }

  @Test
  void rejectsAnUnknownKeyByName() {
    Settings s = Settings.of("agent.properties", Map.of("listen.port", "1", "lisen.adress", "x"));
    s.port("listen.port", 0);

    assertThatThrownBy(s::rejectUnknownKeys)
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("agent.properties")
        .hasMessageContaining("lisen.adress")
        .extracting(e -> ((ConfigException) e).key())
        .isEqualTo("lisen.adress");
  }

  @Test
  void rejectsMalformedValuesNamingKeyAndValue() {
    Settings s = Settings.of("f", Map.of("p", "70000", "d", "6 seconds", "b", "yes", "z", "-1GiB"));

    assertThatThrownBy(() -> s.port("p", 0)).hasMessageContaining("p='70000'");
    assertThatThrownBy(() -> s.duration("d", Duration.ZERO)).hasMessageContaining("d='6 seconds'");
    assertThatThrownBy(() -> s.flag("b", false)).hasMessageContaining("true or false");
    assertThatThrownBy(() -> s.size("z", ByteSize.ofBytes(0))).hasMessageContaining("z:");
    assertThatThrownBy(() -> s.requiredString("missing")).hasMessageContaining("missing is required");
  }

  @Test
  void loadsAPropertiesFileAndAppliesOverrides(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("c.properties");
    Files.writeString(file, "# comment\nname = host-1\nport=7000\n");

    Settings s = Settings.load(file).with(Map.of("port", "7001"));

    assertThat(s.string("name", null)).isEqualTo("host-1");
    assertThat(s.port("port", 0)).isEqualTo(7001);
    assertThat(Settings.load(dir.resolve("absent")).string("name", "dflt")).isEqualTo("dflt");
  }
}
