package io.ferry.coordinator.it;

import io.ferry.common.security.zookeeper.ZooKeeperTls;
import io.ferry.coordinator.config.CoordinatorConfig.EmbeddedZooKeeperConfig;
import io.ferry.coordinator.store.EmbeddedZooKeeper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real ZooKeeper server for the coordinator's tests, as a cluster runs it: mutual TLS only,
 * admitting host identities of the test CA ({@link TestCerts}). Starting one makes every ZooKeeper
 * client of this JVM dial TLS with a test host's certificate ({@link ZooKeeperTls#install}); a
 * coordinator started later installs its own, from the same CA.
 */
public final class TestZooKeeper {

  private TestZooKeeper() {}

  /** Starts a server on a free loopback port with its data in {@code dataDir}. */
  public static EmbeddedZooKeeper start(Path dataDir, Duration tickTime) throws IOException {
    ZooKeeperTls.install(TestCerts.host("zookeeper"), dataDir.resolveSibling(dataDir.getFileName() + "-client"));
    return new EmbeddedZooKeeper(new EmbeddedZooKeeperConfig(0, dataDir, tickTime), true).start();
  }
}
