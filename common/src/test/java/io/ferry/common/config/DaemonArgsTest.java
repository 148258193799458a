package io.ferry.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DaemonArgsTest {

  @Test
  void takesAConfigFileAndOverrides() {
    DaemonArgs a =
        DaemonArgs.parse("ferry-agent", new String[] {"--config", "/tmp/a.properties", "listen.port=0", "x=a=b"}, Path.of("/etc/x"));
    assertThat(a.configFile()).isEqualTo(Path.of("/tmp/a.properties"));
    assertThat(a.overrides()).isEqualTo(Map.of("listen.port", "0", "x", "a=b"));
    assertThat(DaemonArgs.parse("p", new String[0], Path.of("/etc/x")).configFile()).isEqualTo(Path.of("/etc/x"));
  }

  @Test
  void refusesAnythingElseWithUsage() {
    assertThatThrownBy(() -> DaemonArgs.parse("ferry-agent", new String[] {"--verbose"}, Path.of("/x")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("'--verbose'")
        .hasMessageContaining("usage: ferry-agent");
    assertThatThrownBy(() -> DaemonArgs.parse("p", new String[] {"--config"}, Path.of("/x")))
        .isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> DaemonArgs.parse("p", new String[] {"=v"}, Path.of("/x")))
        .isInstanceOf(ConfigException.class);
  }
}
