package io.ferry.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.common.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigTest {

  @Test
  void hostEnvTellsWhereCriuIsAndTheFileAndOverridesWin(@TempDir Path dir) throws Exception {
    Path env = dir.resolve("host.env");
    Files.writeString(env, "# written by host-setup\nFERRY_RUNC=/usr/bin/runc\nFERRY_CRIU=\"/opt/x/criu\"\n");
    Path props = dir.resolve("agent.properties");
    Files.writeString(props, "host.name=host-2\nlisten.port=7702\ncommand.timeout=90s\n");

    AgentConfig c = AgentConfig.load(props, env, Map.of("listen.port", "0"));

    assertThat(c.hostName()).isEqualTo("host-2");
    assertThat(c.listenPort()).isZero();
    assertThat(c.listenAddress()).isEqualTo("127.0.0.1");
    assertThat(c.runc()).isEqualTo(Path.of("/usr/bin/runc"));
    assertThat(c.criu()).isEqualTo(Path.of("/opt/x/criu"));
    assertThat(c.commandTimeout()).isEqualTo(Duration.ofSeconds(90));
  }

  @Test
  void rejectsUnknownKeysAndBadHostNames(@TempDir Path dir) {
    Path none = dir.resolve("absent");
    assertThatThrownBy(() -> AgentConfig.load(none, none, Map.of("runtime.crui", "/x")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("runtime.crui");
    assertThatThrownBy(() -> AgentConfig.load(none, none, Map.of("host.name", "Host_1")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Host_1");
  }

  @Test
  void theShippedExampleIsValidAndSaysWhatItMeans(@TempDir Path dir) {
    AgentConfig c =
        AgentConfig.load(Path.of("../deploy/config/agent.properties.example"), dir.resolve("none.env"), Map.of());

    assertThat(c.hostName()).isEqualTo("host-1");
    assertThat(c.metricsPort()).isEqualTo(9701);
    assertThat(c.stopTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.network().bridgeName()).isEqualTo("ferrybr0");
    assertThat(c.network().subnet().toString()).isEqualTo("10.100.0.0/24");
    assertThat(c.imageLimits().allowSetuid()).isTrue();
  }
}
