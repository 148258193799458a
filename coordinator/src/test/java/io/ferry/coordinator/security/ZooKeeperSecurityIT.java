package io.ferry.coordinator.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.common.security.ClusterTls;
import io.ferry.common.security.Pem;
import io.ferry.common.security.Revocation;
import io.ferry.common.security.RevocationList;
import io.ferry.common.security.RevocationReason;
import io.ferry.common.security.Role;
import io.ferry.common.security.TestPki;
import io.ferry.common.security.zookeeper.ZooKeeperAcls;
import io.ferry.common.security.zookeeper.ZooKeeperTls;
import io.ferry.coordinator.config.CoordinatorConfig.EmbeddedZooKeeperConfig;
import io.ferry.coordinator.it.TestCerts;
import io.ferry.coordinator.store.ClusterPaths;
import io.ferry.coordinator.store.EmbeddedZooKeeper;
import io.ferry.coordinator.store.ZooKeeperSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.ZKClientConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who gets a ZooKeeper session when the coordinator serves it over TLS, and what Ferry's znodes
 * allow: a real embedded server with the test CA; each would-be client dials with its own client
 * configuration (ZooKeeper lets one client override the JVM's TLS settings).
 */
class ZooKeeperSecurityIT {

  /** How long a refused client is given to get a session anyway: several handshakes' worth. */
  private static final Duration REFUSAL_WINDOW = Duration.ofSeconds(4);

  @TempDir Path dir;

  private final AtomicReference<RevocationList> revoked = new AtomicReference<>(RevocationList.empty());
  private EmbeddedZooKeeper zookeeper;
  private ZooKeeperSession session;
  private final ClusterPaths paths = new ClusterPaths("zk-security");

  @BeforeEach
  void start() throws Exception {
    // The server's identity checks this test's revocation list.
    ClusterTls server = TestCerts.host("zookeeper");
    ZooKeeperTls.install(ClusterTls.of(server.key(), server.trust().authority(), revoked::get, Clock.systemUTC()), dir.resolve("zookeeper-client"));
    zookeeper = new EmbeddedZooKeeper(new EmbeddedZooKeeperConfig(0, dir.resolve("zk"), Duration.ofMillis(200)), true).start();
    session = new ZooKeeperSession(zookeeper.connectString(), Duration.ofSeconds(4), paths, connected -> {});
    session.connect(Duration.ofSeconds(30));
  }

  @AfterEach
  void stop() {
    session.close();
    zookeeper.close();
  }

  @Test
  void ferrysZnodesAreGrantedToTheClustersHostsOnly() throws Exception {
    assertThat(session.client().getACL().forPath(paths.coordinators())).isEqualTo(ZooKeeperAcls.HOSTS_ONLY);
    assertThat(session.client().getACL().forPath(paths.root())).isEqualTo(ZooKeeperAcls.HOSTS_ONLY);

    // Another host of the cluster (any agent) reads and writes them.
    try (ZooKeeper agent = connect(tlsConfig(TestCerts.host("host-7"), "agent"))) {
      assertThat(agent).isNotNull();
      agent.create(paths.coordinators() + "/probe", new byte[0], ZooKeeperAcls.HOSTS_ONLY, org.apache.zookeeper.CreateMode.EPHEMERAL);
      assertThat(agent.exists(paths.coordinators() + "/probe", false)).isNotNull();
    }
  }

  @Test
  void aPlaintextClientGetsNoSession() throws Exception {
    ZKClientConfig plaintext = new ZKClientConfig();
    plaintext.setProperty(ZKClientConfig.SECURE_CLIENT, "false");
    plaintext.setProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, "org.apache.zookeeper.ClientCnxnSocketNIO");

    assertThat(connect(plaintext)).as("plaintext session").isNull();
  }

  @Test
  void anOperatorsOrAViewersCertificateGetsNoSession() throws Exception {
    assertThat(connect(tlsConfig(TestCerts.pki().clientTls("ops", Role.OPERATOR), "operator"))).as("operator session").isNull();
    assertThat(connect(tlsConfig(TestCerts.pki().clientTls("eve", Role.ADMIN), "admin"))).as("admin session").isNull();
  }

  @Test
  void aHostCertificateOfAnotherCaGetsNoSession() throws Exception {
    TestPki other = TestPki.inNewTempDirectory("ferry-other-ca");
    ClusterTls foreign = other.hostTls("host-1", List.of("127.0.0.1"));

    assertThat(connect(tlsConfig(foreign, "foreign", TestCerts.pki().caCertificate()))).as("foreign host session").isNull();
  }

  @Test
  void aRevokedHostCertificateGetsNoSessionAnyMore() throws Exception {
    ClusterTls removed = TestCerts.host("host-9");
    ZKClientConfig config = tlsConfig(removed, "removed");
    try (ZooKeeper before = connect(config)) {
      assertThat(before).as("session before the revocation").isNotNull();
    }

    revoked.set(RevocationList.empty().with(new Revocation(removed.key().certificate().getSerialNumber(), RevocationReason.HOST_REMOVED, Instant.now())));

    assertThat(connect(config)).as("session after the revocation").isNull();
  }

  /** A TLS client configuration presenting {@code identity}, trusting the test CA. */
  private ZKClientConfig tlsConfig(ClusterTls identity, String name) throws Exception {
    return tlsConfig(identity, name, TestCerts.pki().caCertificate());
  }

  private ZKClientConfig tlsConfig(ClusterTls identity, String name, Path trustedCa) throws Exception {
    Path keyStore = dir.resolve(name + "-identity.pem");
    Files.writeString(keyStore, Pem.privateKey(identity.key().privateKey()) + Pem.certificates(identity.key().chain()));
    ZKClientConfig config = new ZKClientConfig();
    config.setProperty(ZKClientConfig.SECURE_CLIENT, "true");
    config.setProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, "org.apache.zookeeper.ClientCnxnSocketNetty");
    config.setProperty("zookeeper.ssl.keyStore.location", keyStore.toString());
    config.setProperty("zookeeper.ssl.keyStore.type", "PEM");
    config.setProperty("zookeeper.ssl.trustStore.location", trustedCa.toString());
    config.setProperty("zookeeper.ssl.trustStore.type", "PEM");
    config.setProperty("zookeeper.ssl.hostnameVerification", "false");
    return config;
  }

  /**
   * A connected client, or null when the server gave it no session within {@link
   * #REFUSAL_WINDOW} (its handshakes are retried meanwhile; all refused).
   */
  private ZooKeeper connect(ZKClientConfig config) throws Exception {
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper client =
        new ZooKeeper(zookeeper.connectString(), 4000, event -> {
          if (event.getState() == KeeperState.SyncConnected) {
            connected.countDown();
          }
        }, config);
    if (connected.await(REFUSAL_WINDOW.toMillis(), TimeUnit.MILLISECONDS)) {
      return client;
    }
    client.close();
    return null;
  }
}
