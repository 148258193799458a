package io.ferry.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.common.cluster.HostRegistration;
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
  void theOverlaysUnderlayAddressDefaultsToTheHostsConfiguredAddress(@TempDir Path dir) {
    Path none = dir.resolve("absent");
    AgentConfig viaHostAddress =
        AgentConfig.load(none, none, Map.of("network.overlay.enabled", "true", "host.address", "10.77.0.12:7701", "listen.address", "0.0.0.0",
            "cluster.zookeeper", "10.77.0.1:2181"));
    assertThat(viaHostAddress.network().overlay().localAddress()).hasValueSatisfying(a -> assertThat(a).hasToString("10.77.0.12"));
    AgentConfig viaListen = AgentConfig.load(none, none, Map.of("network.overlay.enabled", "true", "listen.address", "10.77.0.13"));
    assertThat(viaListen.network().overlay().localAddress()).hasValueSatisfying(a -> assertThat(a).hasToString("10.77.0.13"));
    assertThat(viaListen.network().mtu()).isEqualTo(1450);
    assertThatThrownBy(() -> AgentConfig.load(none, none, Map.of("network.overlay.enabled", "true", "host.address", "agent1.example:7701",
            "listen.address", "0.0.0.0", "cluster.zookeeper", "10.77.0.1:2181")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("network.overlay.local-address is required");
    assertThatThrownBy(() -> AgentConfig.load(none, none, Map.of("network.overlay.enabled", "true")))
        .as("listen.address defaults to loopback, which cannot carry an overlay")
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("127.0.0.1 cannot carry an overlay");
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
    assertThat(c.network().subnet().toString()).isEqualTo("10.100.0.0/16");
    assertThat(c.network().overlay().enabled()).isFalse();
    assertThat(c.imageLimits().allowSetuid()).isTrue();
    assertThat(c.cluster().clustered()).isFalse();
    assertThat(c.cluster().clusterName()).isEqualTo("ferry");
    assertThat(c.cluster().sessionTimeout()).isEqualTo(Duration.ofSeconds(6));
  }

  @Test
  void standaloneUnlessAZooKeeperIsConfigured(@TempDir Path dir) {
    Path none = dir.resolve("absent");

    AgentConfig c = AgentConfig.load(none, none, Map.of("listen.address", "0.0.0.0"));

    assertThat(c.cluster()).isEqualTo(ClusterSettings.standalone());
    assertThat(c.cluster().clustered()).isFalse();
  }

  @Test
  void clusterKeysAndWhatTheHostRegistersWithThem(@TempDir Path dir) {
    Path none = dir.resolve("absent");
    AgentConfig c =
        AgentConfig.load(none, none, Map.of(
            "host.name", "host-3",
            "cluster.zookeeper", "zk1:2181,zk2:2181",
            "cluster.name", "prod",
            "cluster.session.timeout", "3s",
            "host.labels", "zone=a, ssd=true",
            "capacity.cpu.millis", "6000",
            "capacity.memory", "16GiB"));

    ClusterSettings cluster = c.cluster();
    assertThat(cluster.clustered()).isTrue();
    assertThat(cluster.zookeeper()).isEqualTo("zk1:2181,zk2:2181");
    assertThat(cluster.zookeeperTls()).as("TLS unless turned off").isTrue();
    assertThat(cluster.clusterName()).isEqualTo("prod");
    assertThat(cluster.sessionTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(cluster.fenceDelay()).as("a sixth of the session timeout").isEqualTo(Duration.ofMillis(500));
    assertThat(cluster.labels()).containsExactly(Map.entry("ssd", "true"), Map.entry("zone", "a"));

    HostRegistration r = cluster.registration("host-3", "127.0.0.1", 40123, 8, 32L << 30, 200L << 30, "0.1.0");
    assertThat(r.address()).as("listen.address and the bound port").isEqualTo("127.0.0.1:40123");
    assertThat(r.cpuMillis()).as("configured").isEqualTo(6000);
    assertThat(r.memoryBytes()).as("configured").isEqualTo(16L << 30);
    assertThat(r.diskBytes()).as("probed free disk").isEqualTo(200L << 30);
    assertThat(r.labels()).containsEntry("zone", "a");
    assertThat(ClusterSettings.standalone().registration("h", "::1", 7701, 2, 1, 0, "dev").address())
        .isEqualTo("[::1]:7701");
    assertThat(ClusterSettings.standalone().registration("h", "10.0.0.1", 7701, 2, 1, 0, "dev").cpuMillis())
        .as("probed cores x 1000").isEqualTo(2000);
  }

  @Test
  void aClusteredAgentOnAWildcardAddressMustSayWhereToDialIt(@TempDir Path dir) {
    Path none = dir.resolve("absent");
    Map<String, String> wildcard = Map.of("cluster.zookeeper", "zk:2181", "listen.address", "0.0.0.0");

    assertThatThrownBy(() -> AgentConfig.load(none, none, wildcard))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("host.address"))
        .hasMessageContaining("0.0.0.0");

    Map<String, String> withAddress = new java.util.HashMap<>(wildcard);
    withAddress.put("host.address", "10.0.0.11:7701");
    assertThat(AgentConfig.load(none, none, withAddress).cluster().hostAddress()).contains("10.0.0.11:7701");
  }

  @Test
  void refusesBadClusterValuesNamingTheKey(@TempDir Path dir) {
    Path none = dir.resolve("absent");
    assertKeyRefused(none, "host.labels", "zone=a,Zone=b");
    assertKeyRefused(none, "host.labels", "zone");
    assertKeyRefused(none, "host.address", "10.0.0.11");
    assertKeyRefused(none, "cluster.session.timeout", "500ms");
    assertKeyRefused(none, "cluster.name", "Prod_1");
    assertKeyRefused(none, "capacity.cpu.millis", "0");
    assertKeyRefused(none, "capacity.memory", "lots");
    assertKeyRefused(none, "capacity.memory", "0");
    assertKeyRefused(none, "cluster.zookeper", "zk:2181");
    // With the default 6 s session, the fence must strike before a third of it has passed.
    assertKeyRefused(none, "cluster.fence.delay", "2s");
    assertKeyRefused(none, "cluster.fence.delay", "-1s");
  }

  private static void assertKeyRefused(Path none, String key, String value) {
    assertThatThrownBy(() -> AgentConfig.load(none, none, Map.of(key, value, "cluster.zookeeper", "zk:2181")))
        .as(key + "=" + value)
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo(key));
  }
}
