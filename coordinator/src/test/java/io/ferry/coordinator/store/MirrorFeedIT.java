package io.ferry.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.coordinator.it.TestZooKeeper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mirror's feed on a real ZooKeeper: every change event carries its transaction's zxid, a
 * change the sink says it holds (a coordinator's own write, applied as ZooKeeper confirmed it) is
 * not read again, and every other change is.
 */
class MirrorFeedIT {

  private static final String PARENT = "/feed/things";
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  @TempDir Path dir;
  private EmbeddedZooKeeper zookeeper;
  private CuratorFramework client;
  private MirrorFeed feed;

  @BeforeEach
  void startZooKeeper() throws Exception {
    zookeeper = TestZooKeeper.start(dir.resolve("zk"), Duration.ofMillis(500));
    client = CuratorFrameworkFactory.newClient(zookeeper.connectString(), 6000, 5000, new RetryOneTime(100));
    client.start();
    assertThat(client.blockUntilConnected(10, TimeUnit.SECONDS)).isTrue();
    client.create().creatingParentsIfNeeded().forPath(PARENT);
  }

  @AfterEach
  void stop() throws Exception {
    if (feed != null) {
      feed.close();
    }
    client.close();
    zookeeper.close();
  }

  /** What the feed told the sink, and which changes the sink claimed to hold already. */
  private static final class RecordingSink implements MirrorFeed.Sink {
    final List<String> reads = new CopyOnWriteArrayList<>();
    final List<String> asked = new CopyOnWriteArrayList<>();
    final List<String> deletions = new CopyOnWriteArrayList<>();
    final List<String> listings = new CopyOnWriteArrayList<>();
    private final BiPredicate<String, Long> held;

    RecordingSink(BiPredicate<String, Long> held) {
      this.held = held;
    }

    @Override
    public void changed(String path, byte[] data, Stat stat) {
      reads.add(path + "=" + new String(data, StandardCharsets.UTF_8) + "@" + stat.getMzxid());
    }

    @Override
    public void deleted(String path, long zxid) {
      deletions.add(path + "@" + zxid);
    }

    @Override
    public boolean holds(String path, long zxid) {
      asked.add(path + "@" + zxid);
      return held.test(path, zxid);
    }

    @Override
    public void listed(String parent, Set<String> children, long pzxid) {
      listings.add(parent + "=" + new java.util.TreeSet<>(children));
    }
  }

  private RecordingSink start(BiPredicate<String, Long> held) throws InterruptedException {
    RecordingSink sink = new RecordingSink(held);
    feed = new MirrorFeed(client, List.of(PARENT), sink);
    feed.start(10_000);
    return sink;
  }

  private Stat write(String path, String data) throws Exception {
    return client.setData().forPath(path, data.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theFirstFullReadDeliversEveryChildAndItsListing() throws Exception {
    client.create().forPath(PARENT + "/a", "1".getBytes(StandardCharsets.UTF_8));
    Stat b = new Stat();
    client.create().storingStatIn(b).forPath(PARENT + "/b", "2".getBytes(StandardCharsets.UTF_8));

    RecordingSink sink = start((path, zxid) -> false);

    assertThat(sink.reads).anyMatch(r -> r.startsWith(PARENT + "/a=1@"));
    assertThat(sink.reads).contains(PARENT + "/b=2@" + b.getMzxid());
    assertThat(sink.listings).containsExactly(PARENT + "=[a, b]");
  }

  @Test
  void aChangeTheSinkHoldsIsNotReadAgainWhileAnyOtherChangeIs() throws Exception {
    client.create().forPath(PARENT + "/own", "0".getBytes(StandardCharsets.UTF_8));
    client.create().forPath(PARENT + "/other", "0".getBytes(StandardCharsets.UTF_8));
    RecordingSink sink = start((path, zxid) -> path.endsWith("/own"));
    sink.reads.clear();

    Stat own = write(PARENT + "/own", "mine");
    Stat other = write(PARENT + "/other", "theirs");

    // Events, and the reads they cause, come in ZooKeeper's order: once the later write's read
    // arrived, a read of the earlier one would have arrived before it.
    await().atMost(DEADLINE).until(() -> sink.reads.contains(PARENT + "/other=theirs@" + other.getMzxid()));
    assertThat(sink.reads).noneMatch(r -> r.startsWith(PARENT + "/own="));
    // The feed asked with the very transaction of each write: the zxid of the event, which
    // Curator's own watcher wrapper would have dropped.
    assertThat(sink.asked).contains(PARENT + "/own@" + own.getMzxid(), PARENT + "/other@" + other.getMzxid());
  }

  @Test
  void aDeletionIsToldWithItsTransactionAndANodeCreatedAfterIsRead() throws Exception {
    client.create().forPath(PARENT + "/gone", "0".getBytes(StandardCharsets.UTF_8));
    RecordingSink sink = start((path, zxid) -> false);

    client.delete().forPath(PARENT + "/gone");
    long deletedAt = client.checkExists().forPath(PARENT).getPzxid();
    Stat created = new Stat();
    client.create().storingStatIn(created).forPath(PARENT + "/gone", "again".getBytes(StandardCharsets.UTF_8));

    await().atMost(DEADLINE).until(() -> sink.reads.contains(PARENT + "/gone=again@" + created.getMzxid()));
    assertThat(sink.deletions).containsExactly(PARENT + "/gone@" + deletedAt);
  }
}
