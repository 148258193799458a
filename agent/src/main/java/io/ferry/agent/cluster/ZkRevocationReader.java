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
 * outage never un-revokes anything. A session that expired (the host was cut off from ZooKeeper
 * for longer than its timeout) is dead for good in a ZooKeeper client, so the reader opens a new
 * one: without it, no revocation made after the outage would ever reach this agent.
 *
 * <p>Thread-safe: reads and session changes run on the refresh thread or under the object's lock.
 */
public final class ZkRevocationReader implements Supplier<RevocationList>, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ZkRevocationReader.class);

  private final String connect;
  private final int sessionTimeoutMillis;
  private final String path;
  private final AtomicReference<RevocationList> current = new AtomicReference<>(RevocationList.empty());
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "revocation-refresh");
        t.setDaemon(true);
        return t;
      });
  private ZooKeeper zookeeper; // guarded by this
  private boolean closed; // guarded by this

  private ZkRevocationReader(String connect, Duration sessionTimeout, String path) throws IOException {
    this.connect = connect;
    this.sessionTimeoutMillis = (int) sessionTimeout.toMillis();
    this.path = path;
    this.zookeeper = newSession();
  }

  /** Connects (in the background, as ZooKeeper does), reads once, then every {@code refresh}. */
  public static ZkRevocationReader start(String connect, String cluster, Duration sessionTimeout, Duration refresh) throws IOException {
    ZkRevocationReader reader = new ZkRevocationReader(connect, sessionTimeout, SecurityPaths.revocations(cluster));
    reader.timer.scheduleWithFixedDelay(reader::refresh, 0, refresh.toMillis(), TimeUnit.MILLISECONDS);
    return reader;
  }

  @Override
  public RevocationList get() {
    return current.get();
  }

  /**
   * Reads the list now; a failure keeps the list in force. A session found expired is replaced
   * and the read tried once more on the new one (which may still be connecting: the next refresh
   * then reads).
   */
  public void refresh() {
    for (int attempt = 1; attempt <= 2; attempt++) {
      try {
        byte[] data = session().getData(path, false, null);
        RevocationList list = RevocationList.parse(new String(data, StandardCharsets.UTF_8));
        if (!list.equals(current.getAndSet(list))) {
          log.info("revocation list now has {} certificate(s)", list.size());
        }
        return;
      } catch (KeeperException.NoNodeException e) {
        return; // Nothing was ever revoked in this cluster.
      } catch (KeeperException.SessionExpiredException e) {
        // The next attempt's session() opens a new one.
        log.warn("the ZooKeeper session reading the revocation list expired; opening a new one");
      } catch (KeeperException | CredentialsException | IOException e) {
        log.warn("cannot read the revocation list at {}; keeping the last one: {}", path, e.getMessage());
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** The session to read with, a new one in place of one that is closed (expired). */
  private synchronized ZooKeeper session() throws IOException {
    renewIfDead();
    return zookeeper;
  }

  private synchronized void renewIfDead() throws IOException {
    if (closed || zookeeper.getState().isAlive()) {
      return;
    }
    ZooKeeper dead = zookeeper;
    zookeeper = newSession();
    log.info("opened ZooKeeper session for the revocation list in place of 0x{} ({})",
        Long.toHexString(dead.getSessionId()), dead.getState());
    closeQuietly(dead);
  }

  private ZooKeeper newSession() throws IOException {
    return new ZooKeeper(connect, sessionTimeoutMillis, event -> {});
  }

  /** The current session's id, for tests that expire it. */
  synchronized long sessionId() {
    return zookeeper.getSessionId();
  }

  /** The current session's password, for tests that expire it. */
  synchronized byte[] sessionPassword() {
    return zookeeper.getSessionPasswd();
  }

  private static void closeQuietly(ZooKeeper session) {
    try {
      session.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() throws InterruptedException {
    timer.shutdownNow();
    ZooKeeper last;
    synchronized (this) {
      closed = true;
      last = zookeeper;
    }
    last.close();
  }
}
