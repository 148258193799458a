package io.ferry.agent.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.common.config.ConfigException;
import io.ferry.common.config.Settings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NetworkConfigTest {

  @Test
  void defaultsAreFixedAndThePrefixNamesTheHost() {
    NetworkConfig c = NetworkConfig.defaults("host-1");
    assertThat(c.bridgeName()).isEqualTo("ferrybr0");
    assertThat(c.subnet()).hasToString("10.100.0.0/24");
    assertThat(c.gateway()).hasToString("10.100.0.1");
    assertThat(c.mtu()).isEqualTo(1500);
    assertThat(c.namespacePrefix()).isEqualTo("fc-host-1.");
    assertThat(c.iptablesEnabled()).isTrue();
    assertThat(c.commandTimeout()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void loadsEveryKeyFromSettings() {
    Settings s =
        Settings.of(
            "test",
            Map.of(
                "network.bridge", "br-test",
                "network.subnet", "10.199.4.0/26",
                "network.mtu", "1450",
                "network.netns-prefix", "t1_",
                "network.iptables", "false",
                "network.command-timeout", "3s"));
    NetworkConfig c = NetworkConfig.load(s, "host-2");
    assertThat(c.bridgeName()).isEqualTo("br-test");
    assertThat(c.subnet()).hasToString("10.199.4.0/26");
    assertThat(c.gateway()).hasToString("10.199.4.1");
    assertThat(c.mtu()).isEqualTo(1450);
    assertThat(c.namespacePrefix()).isEqualTo("t1_");
    assertThat(c.iptablesEnabled()).isFalse();
    assertThat(c.commandTimeout()).isEqualTo(Duration.ofSeconds(3));
    s.rejectUnknownKeys();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "network.subnet|10.100.0.0|network.subnet: '10.100.0.0' is not CIDR",
        "network.subnet|10.100.0.9/24|host bits set",
        "network.subnet|10.0.0.0/8|prefix length must be /16 to /29",
        "network.subnet|10.0.0.0/30|prefix length must be /16 to /29",
        "network.bridge|a-bridge-name-too-long|not an interface name",
        "network.bridge|br/0|not an interface name",
        "network.mtu|100|network.mtu",
        "network.netns-prefix|fc-host-1|end with '.' or '_'",
        "network.netns-prefix|../x.|network.netns-prefix",
        "network.iptables|yes|network.iptables",
      })
  void badValuesAreRefusedNamingTheKey(String key, String value, String message) {
    Settings s = Settings.of("test", Map.of(key, value));
    assertThatThrownBy(() -> NetworkConfig.load(s, "host-1"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo(key));
  }
}
