package io.ferry.bench;

import io.ferry.coordinator.store.ClusterPaths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * Baselines taken straight from ZooKeeper with its own client, on the same server as the cluster
 * under test and in the same run: what the coordinator's writes and reads cost at the least.
 *
 * <p>Owns one ZooKeeper session (opened by the constructor, closed by {@link #close()}); writes
 * only under {@code /bench-baseline}.
 */
final class ZooKeeperBaseline implements AutoCloseable {

  private static final String ROOT = "/bench-baseline";

  /** The sizes of the four nodes one launch transaction writes, read from the cluster. */
  record LaunchSizes(int placement, int host, int container, int operation) {
    int total() {
      return placement + host + container + operation;
    }
  }

  private final ZooKeeper zk;

  ZooKeeperBaseline(String connectString) throws Exception {
    CountDownLatch connected = new CountDownLatch(1);
    zk = new ZooKeeper(connectString, (int) BenchCluster.SESSION_TIMEOUT.toMillis(), event -> {
      if (event.getState() == org.apache.zookeeper.Watcher.Event.KeeperState.SyncConnected) {
        connected.countDown();
      }
    });
    if (!connected.await(30, TimeUnit.SECONDS)) {
      zk.close();
      throw new IllegalStateException("cannot connect to ZooKeeper at " + connectString);
    }
  }

  /**
   * The sizes of what launching {@code container} wrote: its placement, its host's allocation
   * node, its record and its operation as they are now (after the launch ended, so the record
   * also holds what the host reported, a little larger than at placement time).
   */
  LaunchSizes sizesOf(ClusterPaths paths, String container, String host, String operationId) throws Exception {
    return new LaunchSizes(
        size(paths.placement(container)), size(paths.host(host)), size(paths.container(container)), size(paths.operation(operationId)));
  }

  private int size(String path) throws Exception {
    Stat stat = zk.exists(path, false);
    if (stat == null) {
      throw new IllegalStateException("no node " + path);
    }
    return stat.getDataLength();
  }

  /**
   * Transactions per second of {@code count} raw multi-op transactions shaped like a launch's:
   * create a placement node, set a host node's data (one of {@code hosts}), create a container
   * node and an operation node, each of the given size; {@code inFlight} outstanding at once
   * through the asynchronous API.
   */
  double launchLikeTransactionsPerSecond(int count, int inFlight, int hosts, LaunchSizes sizes) throws Exception {
    for (String p : List.of(ROOT, ROOT + "/p", ROOT + "/h", ROOT + "/c", ROOT + "/o")) {
      createIfAbsent(p, new byte[0]);
    }
    for (int h = 0; h < hosts; h++) {
      createIfAbsent(ROOT + "/h/" + h, new byte[sizes.host()]);
    }
    String run = Long.toString(System.nanoTime(), 36);
    Semaphore slots = new Semaphore(inFlight);
    CountDownLatch done = new CountDownLatch(count);
    AtomicInteger failed = new AtomicInteger();
    AtomicReference<String> firstError = new AtomicReference<>();
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      slots.acquire();
      String name = run + "-" + i;
      List<Op> ops = new ArrayList<>(4);
      ops.add(Op.create(ROOT + "/p/" + name, new byte[sizes.placement()], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
      ops.add(Op.setData(ROOT + "/h/" + (i % hosts), new byte[sizes.host()], -1));
      ops.add(Op.create(ROOT + "/c/" + name, new byte[sizes.container()], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
      ops.add(Op.create(ROOT + "/o/" + name, new byte[sizes.operation()], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
      zk.multi(ops, (rc, path, ctx, results) -> {
        if (rc != 0) {
          failed.incrementAndGet();
          firstError.compareAndSet(null, KeeperException.Code.get(rc).toString());
        }
        slots.release();
        done.countDown();
      }, null);
    }
    if (!done.await(5, TimeUnit.MINUTES)) {
      throw new IllegalStateException("baseline transactions did not finish in 5 minutes");
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " baseline transactions failed, first: " + firstError.get());
    }
    return count / seconds;
  }

  /** Milliseconds to read every child of {@code parent}: its child list, then each one's data, asynchronously. */
  double readAllMillis(String parent, int expected) throws Exception {
    long t0 = System.nanoTime();
    List<String> children = zk.getChildren(parent, false);
    if (children.size() != expected) {
      throw new IllegalStateException(parent + " has " + children.size() + " children, expected " + expected);
    }
    CountDownLatch done = new CountDownLatch(children.size());
    AtomicInteger failed = new AtomicInteger();
    for (String child : children) {
      zk.getData(parent + "/" + child, false, (rc, path, ctx, data, stat) -> {
        if (rc != 0 || data == null) {
          failed.incrementAndGet();
        }
        done.countDown();
      }, null);
    }
    if (!done.await(2, TimeUnit.MINUTES)) {
      throw new IllegalStateException("reading " + parent + " took more than 2 minutes");
    }
    if (failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " reads of " + parent + " failed");
    }
    return (System.nanoTime() - t0) / 1e6;
  }

  private void createIfAbsent(String path, byte[] data) throws Exception {
    try {
      zk.create(path, data, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    } catch (KeeperException.NodeExistsException e) {
      // From an earlier baseline run on this server.
    }
  }

  static String describe(LaunchSizes s) {
    return String.format(Locale.ROOT, "placement %d B, host %d B, container %d B, operation %d B", s.placement(), s.host(), s.container(), s.operation());
  }

  @Override
  public void close() throws InterruptedException {
    zk.close();
  }
}
