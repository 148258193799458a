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
 * finds its cluster again. Listens on loopback only.
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
    connections.configure(new InetSocketAddress("127.0.0.1", config.port()), 1000);
    try {
      connections.startup(server);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting embedded ZooKeeper", e);
    }
    log.info("embedded ZooKeeper serving on 127.0.0.1:{} (data in {})", port(), dir);
    return this;
  }

  /** The bound client port (useful when the configured port was 0). */
  public int port() {
    return connections.getLocalPort();
  }

  public String connectString() {
    return "127.0.0.1:" + port();
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
