package io.ferry.coordinator.security;

import io.ferry.common.security.CredentialsException;
import io.ferry.common.security.Revocation;
import io.ferry.common.security.RevocationList;
import io.ferry.common.security.RevocationReason;
import io.ferry.coordinator.store.ClusterPaths;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's revocation list, kept in one znode ({@link ClusterPaths#revocations}) shared by
 * every coordinator. Each coordinator holds the last list it read and re-reads it on every change
 * (a ZooKeeper watch, re-armed on each read) and on {@link #refresh}; a revocation made by any
 * coordinator applies on every other one as soon as its watch fires. Revoking is a versioned
 * read-modify-write, so concurrent revocations from two coordinators both land.
 *
 * <p>Thread-safe. A list that cannot be read keeps the last one in force (and is logged): a
 * ZooKeeper outage never un-revokes anything.
 */
public final class ZkRevocations implements Supplier<RevocationList> {

  private static final Logger log = LoggerFactory.getLogger(ZkRevocations.class);

  private final CuratorFramework client;
  private final String path;
  private final Clock clock;
  private final AtomicReference<RevocationList> current = new AtomicReference<>(RevocationList.empty());
  private final Watcher watcher = this::changed;

  public ZkRevocations(CuratorFramework client, ClusterPaths paths, Clock clock) {
    this.client = client;
    this.path = paths.revocations();
    this.clock = clock;
  }

  /** Reads the list once, arming the watch. */
  public ZkRevocations start() throws IOException {
    try {
      read();
    } catch (Exception e) {
      throw new IOException("cannot read the revocation list at " + path + ": " + e.getMessage(), e);
    }
    return this;
  }

  @Override
  public RevocationList get() {
    return current.get();
  }

  /** Re-reads the list now; a failure keeps the list in force. */
  public void refresh() {
    try {
      read();
    } catch (Exception e) {
      log.warn("cannot re-read the revocation list at {}: {}", path, e.toString());
    }
  }

  /**
   * Revokes {@code serial} cluster-wide. Revoking a revoked serial keeps its first record.
   *
   * @throws IOException when ZooKeeper cannot be written; nothing changed then
   */
  public Revocation revoke(BigInteger serial, RevocationReason reason) throws IOException {
    try {
      while (true) {
        Stat stat = new Stat();
        Optional<RevocationList> stored = readStored(stat);
        RevocationList before = stored.orElse(RevocationList.empty());
        Optional<Revocation> existing = before.find(serial);
        if (existing.isPresent()) {
          current.set(before);
          return existing.get();
        }
        Revocation revocation = new Revocation(serial, reason, clock.instant());
        RevocationList after = before.with(revocation);
        byte[] data = after.toText().getBytes(StandardCharsets.UTF_8);
        try {
          if (stored.isEmpty()) {
            client.create().creatingParentsIfNeeded().forPath(path, data);
          } else {
            client.setData().withVersion(stat.getVersion()).forPath(path, data);
          }
          current.set(after);
          log.atInfo().addKeyValue("serial", serial.toString(16)).log("revoked certificate {} ({})", serial.toString(16), reason);
          return revocation;
        } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException raced) {
          // Another coordinator changed the list since the read: read again.
        }
      }
    } catch (IOException | RuntimeException e) {
      throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
    } catch (Exception e) {
      throw new IOException("cannot write the revocation list at " + path + ": " + e.getMessage(), e);
    }
  }

  private void read() throws Exception {
    if (client.checkExists().usingWatcher(watcher).forPath(path) == null) {
      return; // The watch fires when the list is created.
    }
    try {
      byte[] data = client.getData().usingWatcher(watcher).forPath(path);
      current.set(RevocationList.parse(new String(data, StandardCharsets.UTF_8)));
    } catch (KeeperException.NoNodeException gone) {
      client.checkExists().usingWatcher(watcher).forPath(path);
    } catch (CredentialsException e) {
      log.error("the revocation list at {} is malformed; keeping the last one read: {}", path, e.getMessage());
    }
  }

  private Optional<RevocationList> readStored(Stat stat) throws Exception {
    try {
      byte[] data = client.getData().storingStatIn(stat).forPath(path);
      return Optional.of(RevocationList.parse(new String(data, StandardCharsets.UTF_8)));
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    }
  }

  private void changed(WatchedEvent event) {
    if (event.getType() != Watcher.Event.EventType.None) {
      refresh();
    }
  }
}
