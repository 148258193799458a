package io.ferry.coordinator.store;

import io.ferry.coordinator.config.CoordinatorConfig.EmbeddedZooKeeperConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.zookeeper.server.NIOServerCnxnFactory;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node ZooKeeper server inside the coordinator's JVM, for a cluster on one machine
 * (the quickstart, tests). Data is kept in the configured directory, so a restarted coordinator
 * finds its cluster again. Listens on the configured address, loopback by default.
 *
 * <p>A production cluster uses an external ensemble instead: one embedded node has no redundancy.
 * Lifecycle: {@link #start()} once, {@link #close()} once.
 */
public final class EmbeddedZooKeeper implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedZooKeeper.class);

  private final EmbeddedZooKeeperConfig config;
  private ZooKeeperServer server;
  private ServerCnxnFactory connections;

  public EmbeddedZooKeeper(EmbeddedZooKeeperConfig config) {
    this.config = config;
  }

  /** Starts serving; returns once the server accepts connections. */
  public EmbeddedZooKeeper start() throws IOException {
    Path dir = config.dataDir();
    Files.createDirectories(dir);
    int tickMillis = Math.toIntExact(config.tickTime().toMillis());
    server = new ZooKeeperServer(dir.resolve("snapshots").toFile(), dir.resolve("log").toFile(), tickMillis);
    server.setMinSessionTimeout(2 * tickMillis);
    server.setMaxSessionTimeout(20 * tickMillis);
    connections = new NIOServerCnxnFactory();
    // Every agent holds one session (Helix participant); a thousand simulated hosts on one machine
    // all come from one address, so the per-address limit is off.
    connections.configure(new InetSocketAddress(config.address(), config.port()), 0);
    try {
      connections.startup(server);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting embedded ZooKeeper", e);
    }
    log.info("embedded ZooKeeper serving on {}:{} (data in {})", config.address(), port(), dir);
    return this;
  }

  /** The bound client port (useful when the configured port was 0). */
  public int port() {
    return connections.getLocalPort();
  }

  public String connectString() {
    return config.address() + ":" + port();
  }

  @Override
  public void close() {
    if (connections != null) {
      connections.shutdown();
    }
    if (server != null) {
      server.shutdown();
    }
  }
}
