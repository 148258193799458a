package io.ferry.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.common.config.ConfigException;
import io.ferry.migration.protocol.MigrationSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentMigrationConfigTest {

  @TempDir Path dir;

  @Test
  void defaultsAreTheMigrationDefaultsAndTheFerryCgroup() {
    AgentConfig c = AgentConfig.load(dir.resolve("absent"), dir.resolve("absent.env"), Map.of());
    assertThat(c.migration()).isEqualTo(MigrationSettings.DEFAULTS);
    assertThat(c.cgroupParent()).isEqualTo("/ferry");
  }

  @Test
  void everyMigrationKeyIsRead() {
    AgentConfig c = AgentConfig.load(dir.resolve("absent"), dir.resolve("absent.env"), Map.of(
        "migration.timeout", "2m", "migration.rpc-timeout", "5s", "migration.max-incoming-bytes", "1KiB",
        "migration.disk-reserve", "1MiB", "migration.resolve-interval", "1s",
        "migration.fault-injection", "target-receive-stall", "runtime.cgroup-parent", "/ferry-host-a",
        "migration.stream-pages-above", "0"));
    assertThat(c.migration()).isEqualTo(new MigrationSettings(Duration.ofMinutes(2), Duration.ofSeconds(5), 1024, 1 << 20,
        Duration.ofSeconds(1), MigrationSettings.FaultPoint.TARGET_RECEIVE_STALL, 0));
    assertThat(c.cgroupParent()).isEqualTo("/ferry-host-a");
  }

  @Test
  void anUnknownFaultNamesItsKey() {
    assertThatThrownBy(() -> AgentConfig.load(dir.resolve("absent"), dir.resolve("absent.env"),
        Map.of("migration.fault-injection", "everything")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("migration.fault-injection");
  }
}
