package io.ferry.coordinator.store;

import io.ferry.common.config.ScopedSystemProperty;
import io.ferry.common.security.zookeeper.HostAuthenticationProvider;
import io.ferry.common.security.zookeeper.ZooKeeperTls;
import io.ferry.coordinator.config.CoordinatorConfig.EmbeddedZooKeeperConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.zookeeper.server.NIOServerCnxnFactory;
import org.apache.zookeeper.server.NettyServerCnxnFactory;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node ZooKeeper server inside the coordinator's JVM, for a cluster on one machine
 * (the quickstart, tests). Data is kept in the configured directory, so a restarted coordinator
 * finds its cluster again. Listens on the configured address, loopback by default.
 *
 * <p>With TLS (the coordinator's default, {@code zookeeper.tls}) the server speaks mutual TLS
 * only and gives sessions to the cluster's hosts and coordinators only; see {@link ZooKeeperTls}.
 *
 * <p>A production cluster uses an external ensemble instead: one embedded node has no redundancy.
 * Lifecycle: {@link #start()} once, {@link #close()} once.
 */
public final class EmbeddedZooKeeper implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedZooKeeper.class);

  private final EmbeddedZooKeeperConfig config;
  private final boolean tls;
  private ZooKeeperServer server;
  private ServerCnxnFactory connections;
  private int boundPort;

  /** A plaintext server: for tests of the store only, never for a cluster. */
  public EmbeddedZooKeeper(EmbeddedZooKeeperConfig config) {
    this(config, false);
  }

  /**
   * @param tls serve mutual TLS only, admitting only the cluster's host identities ({@link
   *     HostAuthenticationProvider}); needs {@link ZooKeeperTls#install} first
   */
  public EmbeddedZooKeeper(EmbeddedZooKeeperConfig config, boolean tls) {
    this.config = config;
    this.tls = tls;
  }

  /** Starts serving; returns once the server accepts connections. */
  public EmbeddedZooKeeper start() throws IOException {
    Path dir = config.dataDir();
    Files.createDirectories(dir);
    int tickMillis = Math.toIntExact(config.tickTime().toMillis());
    server = new ZooKeeperServer(dir.resolve("snapshots").toFile(), dir.resolve("log").toFile(), tickMillis);
    server.setMinSessionTimeout(2 * tickMillis);
    server.setMaxSessionTimeout(20 * tickMillis);
    // Every agent holds one session (Helix participant); a thousand simulated hosts on one machine
    // all come from one address, so the per-address limit is off.
    InetSocketAddress address = new InetSocketAddress(config.address(), config.port());
    if (tls) {
      if (!ZooKeeperTls.installed()) {
        throw new IllegalStateException("a TLS ZooKeeper server needs the cluster identity installed (ZooKeeperTls.install)");
      }
      // Only the Netty connection factory speaks TLS; ZooKeeper picks the factory by property.
      connections = newFactory(NettyServerCnxnFactory.class);
      connections.configure(address, 0, -1, true);
    } else {
      connections = new NIOServerCnxnFactory();
      connections.configure(address, 0);
    }
    try {
      connections.startup(server);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting embedded ZooKeeper", e);
    }
    boundPort = connections.getLocalPort();
    log.info("embedded ZooKeeper serving {} on {}:{} (data in {})", tls ? "mutual TLS" : "plaintext", config.address(), port(), dir);
    return this;
  }

  private static ServerCnxnFactory newFactory(Class<? extends ServerCnxnFactory> type) throws IOException {
    try {
      return ScopedSystemProperty.with(ServerCnxnFactory.ZOOKEEPER_SERVER_CNXN_FACTORY, type.getName(), () -> {
        try {
          return ServerCnxnFactory.createFactory();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /** The bound client port (useful when the configured port was 0). */
  public int port() {
    return boundPort;
  }

  public String connectString() {
    return config.address() + ":" + port();
  }

  /** Stops serving; a second call does nothing. */
  @Override
  public void close() {
    if (connections != null) {
      connections.shutdown();
      connections = null;
    }
    if (server != null) {
      server.shutdown();
      server = null;
    }
  }
}
