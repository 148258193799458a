package io.ferry.agent.cluster;

import io.ferry.common.security.CredentialsException;
import io.ferry.common.security.RevocationList;
import io.ferry.common.security.SecurityPaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's revocation list as an agent sees it: read from ZooKeeper ({@link
 * SecurityPaths#revocations}, written by the coordinators) at start and every {@code refresh}
 * after, on its own small ZooKeeper session. A revoked certificate can so open new connections to
 * this agent for at most one refresh interval (plus ZooKeeper's own delay); its open connections
 * are refused at their next call by the access check, which reads the same list.
 *
 * <p>A list that cannot be read (ZooKeeper away, malformed data) keeps the last one in force, so an
 * outage never un-revokes anything. Thread-safe.
 */
public final class ZkRevocationReader implements Supplier<RevocationList>, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ZkRevocationReader.class);

  private final ZooKeeper zookeeper;
  private final String path;
  private final AtomicReference<RevocationList> current = new AtomicReference<>(RevocationList.empty());
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "revocation-refresh");
        t.setDaemon(true);
        return t;
      });

  private ZkRevocationReader(ZooKeeper zookeeper, String path) {
    this.zookeeper = zookeeper;
    this.path = path;
  }

  /** Connects (in the background, as ZooKeeper does), reads once, then every {@code refresh}. */
  public static ZkRevocationReader start(String connect, String cluster, Duration sessionTimeout, Duration refresh) throws IOException {
    ZooKeeper zookeeper = new ZooKeeper(connect, (int) sessionTimeout.toMillis(), event -> {});
    ZkRevocationReader reader = new ZkRevocationReader(zookeeper, SecurityPaths.revocations(cluster));
    reader.timer.scheduleWithFixedDelay(reader::refresh, 0, refresh.toMillis(), TimeUnit.MILLISECONDS);
    return reader;
  }

  @Override
  public RevocationList get() {
    return current.get();
  }

  /** Reads the list now; a failure keeps the list in force. */
  public void refresh() {
    try {
      byte[] data = zookeeper.getData(path, false, null);
      RevocationList list = RevocationList.parse(new String(data, StandardCharsets.UTF_8));
      if (!list.equals(current.getAndSet(list))) {
        log.info("revocation list now has {} certificate(s)", list.size());
      }
    } catch (KeeperException.NoNodeException e) {
      // Nothing was ever revoked in this cluster.
    } catch (KeeperException | CredentialsException e) {
      log.warn("cannot read the revocation list at {}; keeping the last one: {}", path, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() throws InterruptedException {
    timer.shutdownNow();
    zookeeper.close();
  }
}
