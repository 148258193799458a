package io.ferry.agent.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.common.config.ConfigException;
import io.ferry.common.config.Settings;
import java.time.Duration;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NetworkConfigTest {

  @Test
  void defaultsAreFixedAndThePrefixNamesTheHost() {
    NetworkConfig c = NetworkConfig.defaults("host-1");
    assertThat(c.bridgeName()).isEqualTo("ferrybr0");
    assertThat(c.subnet()).hasToString("10.100.0.0/16");
    assertThat(c.gateway()).hasToString("10.100.0.1");
    assertThat(c.mtu()).isEqualTo(1500);
    assertThat(c.namespacePrefix()).isEqualTo("fc-host-1.");
    assertThat(c.iptablesEnabled()).isTrue();
    assertThat(c.commandTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.overlay().enabled()).isFalse();
    assertThat(c.busybox()).isEqualTo(Path.of("/bin/busybox"));
  }

  @Test
  void theOverlayIsOffByDefaultAndItsDefaultsAreFixed() {
    NetworkConfig off = NetworkConfig.load(Settings.of("test", Map.of()), "host-1", Optional.of("10.77.0.11"));
    assertThat(off.overlay().enabled()).isFalse();
    assertThat(off.mtu()).isEqualTo(1500);

    NetworkConfig on = NetworkConfig.load(Settings.of("test", Map.of("network.overlay.enabled", "true")), "host-1", Optional.of("10.77.0.11"));
    OverlayConfig o = on.overlay();
    assertThat(o.enabled()).isTrue();
    assertThat(o.device()).isEqualTo("ferryvx0");
    assertThat(o.vni()).isEqualTo(7700);
    assertThat(o.port()).isEqualTo(4789);
    assertThat(o.localAddress()).contains(Ipv4Address.parse("10.77.0.11"));
    assertThat(o.underlayMtu()).isEqualTo(1500);
    assertThat(o.resyncInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(on.mtu()).as("the container MTU leaves room for VXLAN's 50 bytes").isEqualTo(1450);
  }

  @Test
  void loadsEveryOverlayKey() {
    Settings s =
        Settings.of(
            "test",
            Map.of(
                "network.overlay.enabled", "true",
                "network.overlay.device", "vx-test",
                "network.overlay.vni", "42",
                "network.overlay.port", "8472",
                "network.overlay.local-address", "192.168.5.3",
                "network.overlay.underlay-mtu", "9000",
                "network.overlay.resync-interval", "5s",
                "network.busybox", "/usr/bin/busybox"));
    NetworkConfig c = NetworkConfig.load(s, "host-1", Optional.of("10.77.0.11"));
    assertThat(c.overlay())
        .isEqualTo(new OverlayConfig(true, "vx-test", 42, 8472, Optional.of(Ipv4Address.parse("192.168.5.3")), 9000, Duration.ofSeconds(5)));
    assertThat(c.mtu()).isEqualTo(8950);
    assertThat(c.busybox()).isEqualTo(Path.of("/usr/bin/busybox"));
    s.rejectUnknownKeys();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "network.overlay.vni|0|network.overlay.vni",
        "network.overlay.vni|16777216|network.overlay.vni",
        "network.overlay.port|0|network.overlay.port",
        "network.overlay.device|a-device-name-too-long|not an interface name",
        "network.overlay.device|ferrybr0|must differ from network.bridge",
        "network.overlay.local-address|10.77.0|network.overlay.local-address",
        "network.overlay.local-address|127.0.0.1|cannot carry an overlay",
        "network.overlay.local-address|0.0.0.0|cannot carry an overlay",
        "network.overlay.underlay-mtu|1300|network.overlay.underlay-mtu",
        "network.overlay.resync-interval|0s|network.overlay.resync-interval",
        "network.mtu|1500|does not fit the overlay: at most network.overlay.underlay-mtu 1500 minus 50 bytes of VXLAN headers = 1450",
        "network.busybox|busybox|absolute path",
      })
  void badOverlayValuesAreRefusedNamingTheKey(String key, String value, String message) {
    Settings s = Settings.of("test", Map.of("network.overlay.enabled", "true", key, value));
    assertThatThrownBy(() -> NetworkConfig.load(s, "host-1", Optional.of("10.77.0.11")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo(key));
  }

  @Test
  void theOverlayNeedsAnUnderlayAddressFromConfigurationNeverFromProbing() {
    Settings s = Settings.of("test", Map.of("network.overlay.enabled", "true"));
    assertThatThrownBy(() -> NetworkConfig.load(s, "host-1", Optional.empty()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("network.overlay.local-address is required");
    NetworkConfig off = NetworkConfig.load(Settings.of("test", Map.of()), "host-1", Optional.empty());
    assertThat(off.overlay().localAddress()).isEmpty();
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
