package io.ferry.agent.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fence against a real ZooKeeper server that goes away and comes back (its sessions survive a
 * restart, as they survive a partition shorter than their timeout). The guarded containers are a
 * recording stand-in: what is tested is when the fence kills and starts, not how.
 */
class SessionFenceIT {

  private static final int TICK_MS = 500;

  @TempDir Path dir;

  private TestingServer zookeeper;
  private SessionFence fence;
  private final Recorder containers = new Recorder(List.of("db", "web"));
  private final AtomicReference<Optional<String>> membership = new AtomicReference<>(Optional.of("session-1"));
  private final AtomicReference<Optional<Instant>> liveSince = new AtomicReference<>(Optional.of(Instant.EPOCH));

  @BeforeEach
  void startZooKeeper() throws Exception {
    zookeeper = new TestingServer(new InstanceSpec(dir.resolve("zk").toFile(), -1, -1, -1, true, -1, TICK_MS, -1), true);
  }

  @AfterEach
  void stop() throws Exception {
    if (fence != null) {
      fence.close();
    }
    zookeeper.close();
  }

  @Test
  void aLongDisconnectionKillsTheHaContainersAndTheSurvivingSessionStartsThemAgain() throws Exception {
    fence = startFence(Duration.ofSeconds(6), Duration.ofMillis(500));

    zookeeper.stop();

    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(containers.killed).containsExactlyInAnyOrder("db", "web"));
    assertThat(fence.fenced()).containsExactlyInAnyOrder("db", "web");
    assertThat(containers.started).isEmpty();

    zookeeper.restart();

    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(containers.started).containsExactlyInAnyOrder("db", "web"));
    assertThat(fence.fenced()).isEmpty();
  }

  @Test
  void aBlipShorterThanTheDelayKillsNothing() throws Exception {
    fence = startFence(Duration.ofSeconds(9), Duration.ofMillis(2900));

    zookeeper.restart();

    await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).untilAsserted(() -> assertThat(containers.killed).isEmpty());
    assertThat(fence.fenced()).isEmpty();
  }

  @Test
  void whenTheMembershipSessionChangedTheFencedContainersStayStopped() throws Exception {
    fence = startFence(Duration.ofSeconds(6), Duration.ofMillis(500));

    zookeeper.stop();
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(containers.killed).containsExactlyInAnyOrder("db", "web"));
    // Meanwhile the host's membership expired and came back as a new session: the cluster saw the
    // host gone and may run the containers elsewhere.
    membership.set(Optional.of("session-2"));
    zookeeper.restart();

    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(fence.fenced()).isEmpty());
    assertThat(containers.started).isEmpty();
  }

  @Test
  void aStrikeAfterTheMembershipCameBackUnderANewSessionSparesTheContainersPlacedSince() throws Exception {
    fence = startFence(Duration.ofSeconds(6), Duration.ofMillis(2000));

    zookeeper.stop();
    await().atMost(Duration.ofSeconds(5)).until(() -> !fence.connected());
    // The membership expired and came back under a new session before the fence struck (as on a
    // host paused past its timeout, which notices it all at once); the cluster placed "cache" here since.
    membership.set(Optional.of("session-2"));
    liveSince.set(Optional.of(Instant.now()));
    containers.fresh.set(List.of("cache"));

    await().atMost(Duration.ofSeconds(8)).untilAsserted(() -> assertThat(containers.killed).containsExactlyInAnyOrder("db", "web"));
    assertThat(fence.fenced()).containsExactlyInAnyOrder("db", "web");
    assertThat(containers.killed).doesNotContain("cache");

    // The fence's own session survives: db and web ran under the expired membership session, which
    // the cluster saw end, so they stay stopped.
    zookeeper.restart();
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(fence.fenced()).isEmpty());
    assertThat(containers.started).isEmpty();
  }

  @Test
  void anHaContainerThatRunsAgainWhileTheHostIsFencedIsKilled() throws Exception {
    fence = startFence(Duration.ofSeconds(6), Duration.ofMillis(500));

    zookeeper.stop();
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(containers.killed).containsExactlyInAnyOrder("db", "web"));
    // A migration of "queue" rolled back while the host is cut off: its source runs again.
    containers.fresh.set(List.of("queue"));
    await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> assertThat(containers.killed).contains("queue"));

    // The same sessions come back: nobody can have started them elsewhere.
    zookeeper.restart();
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(containers.started).containsExactlyInAnyOrder("db", "web", "queue"));
  }

  @Test
  void onlyRunningHaContainersAreKilled() throws Exception {
    containers.running.set(List.of("db"));
    fence = startFence(Duration.ofSeconds(6), Duration.ofMillis(500));

    zookeeper.stop();

    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(containers.killed).containsExactly("db"));
  }

  private SessionFence startFence(Duration sessionTimeout, Duration delay) {
    SessionFence started =
        new SessionFence(zookeeper.getConnectString(), sessionTimeout, delay, containers, membership::get, liveSince::get).start();
    // Connected before any fault is injected: the fence starts timing only after a connection.
    await().atMost(Duration.ofSeconds(10)).until(started::connected);
    return started;
  }

  /**
   * Records kills and starts; reports {@link #running} as the HA containers running, all since
   * long before the test, and {@link #fresh} as running since now.
   */
  private static final class Recorder implements SessionFence.Guarded {
    final AtomicReference<List<String>> running;
    final AtomicReference<List<String>> fresh = new AtomicReference<>(List.of());
    final List<String> killed = new CopyOnWriteArrayList<>();
    final List<String> started = new CopyOnWriteArrayList<>();

    Recorder(List<String> running) {
      this.running = new AtomicReference<>(running);
    }

    @Override
    public List<SessionFence.RunningHa> runningHa() {
      List<SessionFence.RunningHa> all = new ArrayList<>();
      running.get().stream().filter(n -> !killed.contains(n)).forEach(n -> all.add(new SessionFence.RunningHa(n, Instant.EPOCH)));
      fresh.get().stream().filter(n -> !killed.contains(n)).forEach(n -> all.add(new SessionFence.RunningHa(n, Instant.now())));
      return all;
    }

    @Override
    public void kill(String name) {
      killed.add(name);
    }

    @Override
    public void start(String name) {
      started.add(name);
    }
  }
}
