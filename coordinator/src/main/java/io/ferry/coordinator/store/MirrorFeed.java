package io.ferry.coordinator.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the store's mirror with the changes of a few flat subtrees (a parent and its children):
 * one persistent recursive watch per parent, and a full read of every parent each time a session
 * connects or reconnects (changes made while disconnected are read then, not from events).
 *
 * <p>Each change event is followed by a read of the node, unless the {@link Sink} says the mirror
 * already holds exactly that change: a coordinator applies its own writes as ZooKeeper confirms
 * them, so re-reading them would only double the traffic of every write. The watch is set on the
 * raw ZooKeeper handle because Curator's watcher wrapper drops the events' zxid, which is what
 * tells an own write from a later one.
 *
 * <p>Threading: events and the reads they cause are handled on ZooKeeper's event thread; the full
 * reads run on a thread of their own. Failure modes: a failed read is logged and left to the next
 * event or reconnection; {@link #start} throws {@link StoreUnavailableException} when the first
 * full read does not end in time.
 */
final class MirrorFeed implements ConnectionStateListener, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(MirrorFeed.class);

  /** Where the changes go. */
  interface Sink {
    /** The node as read, with its stat. */
    void changed(String path, byte[] data, Stat stat);

    /** The node was deleted in transaction {@code zxid} ({@link WatchedEvent#NO_ZXID} if unknown). */
    void deleted(String path, long zxid);

    /** True when the mirror holds the change that transaction {@code zxid} made to {@code path}. */
    boolean holds(String path, long zxid);

    /**
     * A full read of {@code parent} found {@code children}; entries of it that are missing there
     * and were created at or before {@code pzxid} (the parent's last child change) are gone.
     */
    void listed(String parent, Set<String> children, long pzxid);
  }

  private final CuratorFramework zk;
  private final List<String> parents;
  private final Sink sink;
  private final Watcher watcher = this::event;
  private final CountDownLatch loaded = new CountDownLatch(1);
  private final ScheduledExecutorService reader =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "store-mirror");
        t.setDaemon(true);
        return t;
      });

  MirrorFeed(CuratorFramework zk, List<String> parents, Sink sink) {
    this.zk = zk;
    this.parents = List.copyOf(parents);
    this.sink = sink;
  }

  /** Watches and reads every parent; waits at most {@code timeoutMillis} for the first read. */
  void start(long timeoutMillis) throws InterruptedException {
    zk.getConnectionStateListenable().addListener(this);
    reader.execute(this::arm);
    if (!loaded.await(timeoutMillis, TimeUnit.MILLISECONDS)) {
      throw new StoreUnavailableException("the cluster state did not load within " + timeoutMillis + " ms");
    }
  }

  @Override
  public void stateChanged(CuratorFramework client, ConnectionState state) {
    if (state == ConnectionState.RECONNECTED) {
      reader.execute(this::arm);
    }
  }

  /** Sets the watches on the current session's handle (idempotent) and reads every parent. */
  private void arm() {
    try {
      ZooKeeper handle = zk.getZookeeperClient().getZooKeeper();
      for (String parent : parents) {
        handle.addWatch(parent, watcher, AddWatchMode.PERSISTENT_RECURSIVE);
      }
      for (String parent : parents) {
        readAll(handle, parent);
      }
      loaded.countDown();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      log.warn("cannot read the cluster state from ZooKeeper, trying again in a second: {}", e.toString());
      if (!reader.isShutdown()) {
        reader.schedule(this::arm, 1, TimeUnit.SECONDS);
      }
    }
  }

  private void readAll(ZooKeeper handle, String parent) throws KeeperException, InterruptedException {
    Stat parentStat = new Stat();
    List<String> children = handle.getChildren(parent, false, parentStat);
    List<CompletableFuture<Void>> reads = new ArrayList<>(children.size());
    for (String child : children) {
      CompletableFuture<Void> read = new CompletableFuture<>();
      reads.add(read);
      read(handle, parent + "/" + child, () -> read.complete(null));
    }
    CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).join();
    sink.listed(parent, Set.copyOf(children), parentStat.getPzxid());
  }

  private void event(WatchedEvent event) {
    String path = event.getPath();
    if (path == null || !isChild(path)) {
      return;
    }
    switch (event.getType()) {
      case NodeCreated, NodeDataChanged -> {
        if (event.getZxid() != WatchedEvent.NO_ZXID && sink.holds(path, event.getZxid())) {
          return;
        }
        read(path);
      }
      case NodeDeleted -> sink.deleted(path, event.getZxid());
      default -> {
        // Child and watch-removal events carry nothing the mirror keeps.
      }
    }
  }

  private void read(String path) {
    try {
      read(zk.getZookeeperClient().getZooKeeper(), path, () -> {});
    } catch (Exception e) {
      log.warn("cannot read {} after its change: {}", path, e.toString());
    }
  }

  /** Reads {@code path} asynchronously into the sink (a node gone meanwhile is skipped), then runs {@code done}. */
  private void read(ZooKeeper handle, String path, Runnable done) {
    handle.getData(path, false, (rc, p, ctx, data, stat) -> {
      try {
        if (rc == KeeperException.Code.OK.intValue()) {
          sink.changed(p, data, stat);
        } else if (rc != KeeperException.Code.NONODE.intValue()) {
          log.warn("cannot read {}: {}", p, KeeperException.Code.get(rc));
        }
      } finally {
        done.run();
      }
    }, null);
  }

  private boolean isChild(String path) {
    int slash = path.lastIndexOf('/');
    return slash > 0 && parents.contains(path.substring(0, slash));
  }

  @Override
  public void close() {
    zk.getConnectionStateListenable().removeListener(this);
    reader.shutdownNow();
    for (String parent : parents) {
      try {
        zk.getZookeeperClient().getZooKeeper().removeWatches(parent, watcher, Watcher.WatcherType.Any, true);
      } catch (Exception e) {
        // Closing anyway: the watch dies with the session.
      }
    }
  }
}
