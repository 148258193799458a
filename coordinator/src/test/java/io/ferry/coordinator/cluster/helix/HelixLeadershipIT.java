package io.ferry.coordinator.cluster.helix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.coordinator.store.EmbeddedZooKeeper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Two coordinators' leader election on a real ZooKeeper through Helix. */
class HelixLeadershipIT {

  private static final Logger log = LoggerFactory.getLogger(HelixLeadershipIT.class);
  private static final String CLUSTER = "test";
  /** Beyond the session timeout: the server's expiry tick, Helix's re-election, our poll. */
  private static final Duration MARGIN = Duration.ofMillis(2500);

  @TempDir Path dir;
  private EmbeddedZooKeeper zookeeper;
  private final List<HelixLeadership> started = new ArrayList<>();
  private ScheduledExecutorService sampler;
  private final AtomicInteger samples = new AtomicInteger();
  private final AtomicInteger bothLeading = new AtomicInteger();

  @BeforeEach
  void startZooKeeper() throws Exception {
    zookeeper = HelixSessions.zooKeeper(dir.resolve("zk").toFile());
  }

  @AfterEach
  void stop() throws Exception {
    if (sampler != null) {
      sampler.shutdownNow();
    }
    started.forEach(HelixLeadership::close);
    zookeeper.close();
  }

  @Test
  void exactlyOneLeadsAndClosingTheLeaderHandsOverAtOnce() throws Exception {
    Duration session = Duration.ofSeconds(6);
    HelixLeadership a = start("coordinator-a", session);
    HelixLeadership b = start("coordinator-b", session);
    RecordingListener onA = new RecordingListener();
    RecordingListener onB = new RecordingListener();
    a.addListener(onA);
    b.addListener(onB);
    sampleBoth(a, b);

    await().atMost(Duration.ofSeconds(15)).until(() -> a.isLeader() ^ b.isLeader());
    assertThat(HelixSessions.negotiatedSessionTimeoutMs(a.manager())).as("not Helix's 30 s").isEqualTo(6000);
    HelixLeadership leader = a.isLeader() ? a : b;
    HelixLeadership follower = leader == a ? b : a;
    RecordingListener onLeader = leader == a ? onA : onB;
    RecordingListener onFollower = leader == a ? onB : onA;
    String leaderName = leader == a ? "coordinator-a" : "coordinator-b";
    await().atMost(Duration.ofSeconds(2)).until(() -> follower.leaderId().equals(Optional.of(leaderName)));
    assertThat(leader.leaderId()).contains(leaderName);
    await().atMost(Duration.ofSeconds(2)).until(() -> onLeader.events.equals(List.of("gained")));
    assertThat(onFollower.events).isEmpty();
    assertThat(onLeader.threads).allMatch(t -> t.equals("leadership-" + leaderName));

    long closedAt = System.nanoTime();
    leader.close();

    assertThat(leader.isLeader()).isFalse();
    assertThat(onLeader.events).containsExactly("gained", "lost");
    await().atMost(session.plus(MARGIN)).until(follower::isLeader);
    log.info("hand-over after the leader closed: {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closedAt));
    await().atMost(Duration.ofSeconds(2)).until(() -> onFollower.events.equals(List.of("gained")));
    assertThat(bothLeading.get()).as("samples where both led, of %d", samples.get()).isZero();
  }

  @Test
  void aListenerAddedToTheLeaderIsToldAtOnce() throws Exception {
    HelixLeadership a = start("coordinator-a", Duration.ofSeconds(6));
    await().atMost(Duration.ofSeconds(15)).until(a::isLeader);
    RecordingListener late = new RecordingListener();

    a.addListener(late);

    await().atMost(Duration.ofSeconds(2)).until(() -> late.events.equals(List.of("gained")));
  }

  @Test
  void aLeaderWhoseSessionExpiresStepsDownAtOnceAndALeaderIsBackWithinTheTimeout() throws Exception {
    Duration session = Duration.ofSeconds(3);
    HelixLeadership a = start("coordinator-a", session);
    await().atMost(Duration.ofSeconds(15)).until(a::isLeader);
    HelixLeadership b = start("coordinator-b", session);
    RecordingListener onA = new RecordingListener();
    a.addListener(onA);
    await().atMost(Duration.ofSeconds(2)).until(() -> onA.events.equals(List.of("gained")));
    sampleBoth(a, b);

    long expiredAt = System.nanoTime();
    HelixSessions.expire(a.manager());

    await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10)).until(() -> !a.isLeader());
    long steppedDown = System.nanoTime();
    assertThat(onA.last()).isEqualTo("lost");
    // The old session's leader node lingers until the server expires it; then either
    // coordinator may win (a re-joined the election with a new session).
    await().atMost(session.plus(MARGIN)).pollInterval(Duration.ofMillis(20)).until(() -> a.isLeader() || b.isLeader());
    log.info("session expiry of the leader ({} ms session): stepped down after {} ms, a leader again after {} ms ({})",
        session.toMillis(),
        TimeUnit.NANOSECONDS.toMillis(steppedDown - expiredAt),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - expiredAt),
        a.isLeader() ? "the same one, with a new session" : "the other one");
    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> a.isLeader() ^ b.isLeader());
    assertThat(bothLeading.get()).as("samples where both led, of %d", samples.get()).isZero();
  }

  /**
   * A crash: the leader's session expires and the process is gone; the server keeps the session,
   * and with it the leader node, until the timeout passes. Measures the failover.
   */
  @ParameterizedTest(name = "session timeout {0} ms")
  @ValueSource(ints = {3000, 6000})
  void afterTheLeaderCrashesTheOtherLeadsWithinTheSessionTimeout(int sessionMs) throws Exception {
    Duration session = Duration.ofMillis(sessionMs);
    HelixLeadership a = start("coordinator-a", session);
    await().atMost(Duration.ofSeconds(15)).until(a::isLeader);
    HelixLeadership b = start("coordinator-b", session);
    await().atMost(Duration.ofSeconds(2)).until(() -> b.leaderId().equals(Optional.of("coordinator-a")));
    sampleBoth(a, b);

    long crashedAt = System.nanoTime();
    HelixSessions.expire(a.manager());
    a.close();

    await().atMost(session.plus(MARGIN)).pollInterval(Duration.ofMillis(10)).until(b::isLeader);
    Duration failover = Duration.ofNanos(System.nanoTime() - crashedAt);
    log.info("FAILOVER after the leader's session expired (crash), session timeout {} ms: {} ms",
        sessionMs, failover.toMillis());
    assertThat(failover).as("the server keeps the session until it times out").isGreaterThan(session.dividedBy(2));
    assertThat(b.leaderId()).contains("coordinator-b");
    assertThat(bothLeading.get()).as("samples where both led, of %d", samples.get()).isZero();
  }

  private HelixLeadership start(String id, Duration session) throws Exception {
    new HelixClusterSetup(zookeeper.connectString(), CLUSTER, session, Duration.ofSeconds(30)).ensure(Duration.ofSeconds(30));
    HelixLeadership leadership = HelixLeadership.start(zookeeper.connectString(), CLUSTER, id, session);
    started.add(leadership);
    return leadership;
  }

  /** From now on, checks every 5 ms that the two never both claim to lead. */
  private void sampleBoth(HelixLeadership a, HelixLeadership b) {
    sampler = Executors.newSingleThreadScheduledExecutor();
    sampler.scheduleAtFixedRate(() -> {
      samples.incrementAndGet();
      if (a.isLeader() && b.isLeader()) {
        bothLeading.incrementAndGet();
      }
    }, 0, 5, TimeUnit.MILLISECONDS);
  }
}
