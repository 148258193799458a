package io.ferry.coordinator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.common.config.ConfigException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CoordinatorConfigTest {

  private static final Path NONE = Path.of("/nonexistent/coordinator.properties");

  @Test
  void defaultsToAnEmbeddedZooKeeperWithShortSessions() {
    CoordinatorConfig c = CoordinatorConfig.load(NONE, Map.of());

    assertThat(c.embedded()).isTrue();
    assertThat(c.connectString()).isEqualTo("127.0.0.1:2181");
    assertThat(c.sessionTimeout()).isEqualTo(Duration.ofSeconds(6));
    assertThat(c.listenAddress()).isEqualTo("127.0.0.1");
    assertThat(c.rebalanceDelay()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.network().subnet()).hasToString("10.100.0.0/16");
    assertThat(c.network().gateway()).isEqualTo("10.100.0.1");
  }

  @Test
  void theClusterNetworkComesFromNetworkSubnet() {
    assertThat(CoordinatorConfig.load(NONE, Map.of("network.subnet", "10.200.0.0/20")).network().subnet()).hasToString("10.200.0.0/20");
    assertThatThrownBy(() -> CoordinatorConfig.load(NONE, Map.of("network.subnet", "10.200.0.0/33")))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("network.subnet"));
    assertThatThrownBy(() -> CoordinatorConfig.load(NONE, Map.of("network.subnet", "10.0.0.0/8")))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("network.subnet"));
  }

  @Test
  void theRebalanceDelayIsADuration() {
    assertThat(CoordinatorConfig.load(NONE, Map.of("cluster.rebalance.delay", "2m")).rebalanceDelay())
        .isEqualTo(Duration.ofMinutes(2));
    assertThat(CoordinatorConfig.load(NONE, Map.of("cluster.rebalance.delay", "0s")).rebalanceDelay()).isZero();
    assertThatThrownBy(() -> CoordinatorConfig.load(NONE, Map.of("cluster.rebalance.delay", "soon")))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("cluster.rebalance.delay"));
  }

  @Test
  void anExternalEnsembleReplacesTheEmbeddedServer() {
    CoordinatorConfig c =
        CoordinatorConfig.load(NONE, Map.of("zookeeper.connect", "zk1:2181,zk2:2181", "zookeeper.session-timeout", "30s"));

    assertThat(c.embedded()).isFalse();
    assertThat(c.connectString()).isEqualTo("zk1:2181,zk2:2181");
    assertThat(c.zookeeperTls()).as("TLS unless turned off").isTrue();
    assertThat(CoordinatorConfig.load(NONE, Map.of("zookeeper.connect", "zk1:2181", "zookeeper.tls", "false")).zookeeperTls()).isFalse();
  }

  @Test
  void refusesASessionTheEmbeddedServerWouldShorten() {
    assertThatThrownBy(() -> CoordinatorConfig.load(NONE, Map.of("zookeeper.session-timeout", "30s")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("20 x zookeeper.embedded.tick-time");
  }

  @Test
  void refusesUnknownKeysAndBadNames() {
    assertThatThrownBy(() -> CoordinatorConfig.load(NONE, Map.of("zookeeper.conect", "x")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("zookeeper.conect");
    assertThatThrownBy(() -> CoordinatorConfig.load(NONE, Map.of("cluster.name", "../etc")))
        .hasMessageContaining("'../etc'");
  }

  @Test
  void theShippedExampleIsValid() {
    CoordinatorConfig c = CoordinatorConfig.load(Path.of("../deploy/config/coordinator.properties.example"), Map.of());

    assertThat(c.embedded()).isTrue();
    assertThat(c.sessionTimeout()).isEqualTo(Duration.ofSeconds(6));
    assertThat(c.rebalanceDelay()).isEqualTo(Duration.ofSeconds(30));
  }
}
