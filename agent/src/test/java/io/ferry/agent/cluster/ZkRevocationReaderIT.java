package io.ferry.agent.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.common.security.Revocation;
import io.ferry.common.security.RevocationList;
import io.ferry.common.security.RevocationReason;
import io.ferry.common.security.SecurityPaths;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's view of the revocation list against a real ZooKeeper server, through an expiry. */
class ZkRevocationReaderIT {

  private static final String CLUSTER = "revtest";
  private static final String PATH = SecurityPaths.revocations(CLUSTER);
  private static final Duration SESSION = Duration.ofSeconds(6);

  @TempDir Path dir;

  private TestingServer server;
  private ZooKeeper writer;
  private ZkRevocationReader reader;

  @BeforeEach
  void start() throws Exception {
    server = new TestingServer(-1, dir.resolve("zk").toFile(), true);
    writer = connect(0, null);
  }

  @AfterEach
  void stop() throws Exception {
    if (reader != null) {
      reader.close();
    }
    writer.close();
    server.close();
  }

  @Test
  void aRevocationMadeAfterTheReadersSessionExpiredStillReachesIt() throws Exception {
    RevocationList one = RevocationList.empty().with(revocation(1));
    startReaderOn(one);

    // A second client on the reader's session, closed, ends that session on the server: the
    // reader's client learns it expired, as after a partition longer than the timeout.
    long expired = reader.sessionId();
    try (ZooKeeper twin = connect(expired, reader.sessionPassword())) {
      assertThat(twin.getSessionId()).isEqualTo(expired);
    }

    RevocationList two = one.with(revocation(2));
    write(two);
    await().atMost(Duration.ofSeconds(10)).until(() -> reader.get().equals(two));
    assertThat(reader.sessionId()).as("a new session").isNotEqualTo(expired);
  }

  @Test
  void aListThatCannotBeReadKeepsTheLastOneInForce() throws Exception {
    RevocationList one = RevocationList.empty().with(revocation(1));
    startReaderOn(one);

    writer.setData(PATH, "not a revocation list".getBytes(StandardCharsets.UTF_8), -1);
    reader.refresh();
    assertThat(reader.get()).as("malformed").isEqualTo(one);
    writer.delete(PATH, -1);
    reader.refresh();
    assertThat(reader.get()).as("deleted").isEqualTo(one);
  }

  /** Writes {@code list}, starts the reader (reading every 200 ms) and waits until it has it. */
  private void startReaderOn(RevocationList list) throws Exception {
    write(list);
    reader = ZkRevocationReader.start(server.getConnectString(), CLUSTER, SESSION, Duration.ofMillis(200));
    await().atMost(Duration.ofSeconds(10)).until(() -> reader.get().equals(list));
  }

  private static Revocation revocation(int serial) {
    return new Revocation(BigInteger.valueOf(serial), RevocationReason.HOST_REMOVED, Instant.parse("2026-11-30T00:00:00Z"));
  }

  private void write(RevocationList list) throws Exception {
    byte[] data = list.toText().getBytes(StandardCharsets.UTF_8);
    StringBuilder path = new StringBuilder();
    String[] parts = PATH.substring(1).split("/");
    for (int i = 0; i < parts.length; i++) {
      path.append('/').append(parts[i]);
      try {
        writer.create(path.toString(), i == parts.length - 1 ? data : new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
      } catch (KeeperException.NodeExistsException e) {
        if (i == parts.length - 1) {
          writer.setData(PATH, data, -1);
        }
      }
    }
  }

  /** A connected client; on {@code session} with {@code password} when given, else a new session. */
  private ZooKeeper connect(long session, byte[] password) throws Exception {
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper zk = password == null
        ? new ZooKeeper(server.getConnectString(), (int) SESSION.toMillis(), e -> countConnected(e.getState(), connected))
        : new ZooKeeper(server.getConnectString(), (int) SESSION.toMillis(), e -> countConnected(e.getState(), connected), session, password);
    assertThat(connected.await(10, TimeUnit.SECONDS)).as("connected to ZooKeeper").isTrue();
    return zk;
  }

  private static void countConnected(KeeperState state, CountDownLatch connected) {
    if (state == KeeperState.SyncConnected) {
      connected.countDown();
    }
  }
}
