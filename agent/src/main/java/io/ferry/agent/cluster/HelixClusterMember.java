package io.ferry.agent.cluster;

import io.ferry.common.cluster.HelixNames;
import io.ferry.common.cluster.HostRegistration;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.helix.HelixDataAccessor;
import org.apache.helix.HelixManager;
import org.apache.helix.model.InstanceConfig;
import org.apache.helix.model.LiveInstance;
import org.apache.helix.zookeeper.zkclient.IZkChildListener;
import org.apache.helix.manager.zk.HelixManagerStateListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A host's membership of a Ferry cluster through Apache Helix: a Helix PARTICIPANT named after the
 * host, whose InstanceConfig carries the {@link HostRegistration} and whose LIVEINSTANCES node
 * tells coordinators it is alive. It registers no state models: Ferry's placement does not go
 * through Helix transitions (yet), and a factory that pretends to do work would lie to the
 * controller.
 *
 * <p>Takes plain inputs, not the agent's configuration, so that a benchmark can run many of them
 * in one JVM.
 *
 * <p>States and transitions: {@link MemberState}.
 *
 * <p>Watching the other hosts ({@link #watchHosts}): a ZooKeeper child watch on the cluster's
 * LIVEINSTANCES, on the joined manager's own connection (so it is re-armed by the ZooKeeper client
 * after a session expiry, and set again after a re-join). Each change reads the InstanceConfig of
 * hosts not seen before only; a host that left is forgotten, so its registration is read afresh
 * when it comes back. Failures to read are retried after {@value #FIRST_RETRY_MS} ms.
 *
 * <p>Threading: joining and watching run on one thread of its own ({@code cluster-member-HOST}); every method
 * may be called from any thread. Once JOINED, Helix keeps the session: after a ZooKeeper session
 * expiry it re-creates the live instance by itself (which takes the session timeout plus 5 s when
 * the old session's node still lingers, as after a crash and a quick restart). Failure modes:
 * ZooKeeper unreachable, the cluster missing, or any Helix error while joining are retried for
 * ever, with backoff from {@value #FIRST_RETRY_MS} ms to {@value #MAX_RETRY_MS} ms.
 */
public final class HelixClusterMember implements ClusterMember {

  private static final Logger log = LoggerFactory.getLogger(HelixClusterMember.class);

  static final long FIRST_RETRY_MS = 250;
  static final long MAX_RETRY_MS = 5_000;
  private static final long WAITING_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(30);
  private static final Duration GRACE = Duration.ofSeconds(2);
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);
  /** How often the member looks whether Helix began a new session (a field read, no ZooKeeper call). */
  static final Duration LIVE_CHECK = Duration.ofMillis(100);

  private final String connectString;
  private final String helixCluster;
  private final HostRegistration registration;
  private final Duration sessionTimeout;
  private final ScheduledExecutorService worker;

  private MemberState state = MemberState.NEW; // guarded by this
  private HelixManager manager; // guarded by this
  private volatile Consumer<List<HostRegistration>> hostsListener;

  // The join thread's own: registrations of the live hosts seen so far, by host name.
  private final Map<String, HostRegistration> liveHosts = new HashMap<>();
  private boolean hostsRetryScheduled;

  /** Since when the cluster has seen this host live, and under which session (by its start). */
  private record Live(long sessionStart, Instant since) {}

  /** Written on the join thread; null until the current session's live-instance node was seen. */
  private volatile Live live;

  // The join thread's own.
  private InstanceRegistrar registrar;
  private long retryMs = FIRST_RETRY_MS;
  private long lastWaitingLog;
  private boolean waitingLogged;

  /**
   * @param connectString the ZooKeeper ensemble, {@code host:port[,host:port...]}
   * @param ferryCluster the Ferry cluster's name; the Helix cluster is {@link
   *     HelixNames#clusterName(String)}
   * @param registration what this host tells coordinators; its host name is the instance name
   * @param sessionTimeout the ZooKeeper session timeout: how long after a crash coordinators see
   *     the host gone (the server may clamp it to [2, 20] ticks)
   */
  public HelixClusterMember(
      String connectString, String ferryCluster, HostRegistration registration, Duration sessionTimeout) {
    if (connectString == null || connectString.isBlank()) {
      throw new IllegalArgumentException("a ZooKeeper connect string is required");
    }
    this.connectString = connectString;
    this.helixCluster = HelixNames.clusterName(ferryCluster);
    this.registration = Objects.requireNonNull(registration, "registration");
    this.sessionTimeout = Objects.requireNonNull(sessionTimeout, "sessionTimeout");
    String threadName = "cluster-member-" + registration.hostName();
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, threadName);
      t.setDaemon(true);
      return t;
    });
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.worker = executor;
  }

  @Override
  public void join() {
    if (!transition(MemberState.NEW, MemberState.WAITING_FOR_CLUSTER)) {
      throw new IllegalStateException("host " + host() + ": join() in state " + state());
    }
    worker.execute(this::attempt);
    worker.scheduleWithFixedDelay(this::checkLive, LIVE_CHECK.toMillis(), LIVE_CHECK.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public Optional<Instant> liveSince() {
    Live known = live;
    return known == null ? Optional.empty() : Optional.of(known.since());
  }

  /**
   * On the join thread: when Helix began a new session (its start time changed), finds whether
   * the host's live-instance node belongs to it yet, and if so notes now as the time the cluster
   * sees the host live under it. Reads ZooKeeper only between a new session and that moment.
   */
  private void checkLive() {
    HelixManager current;
    synchronized (this) {
      current = state == MemberState.JOINED ? manager : null;
    }
    Long start = current == null ? null : current.getSessionStartTime();
    if (start == null) {
      live = null;
      return;
    }
    Live known = live;
    if (known != null && known.sessionStart() == start) {
      return;
    }
    try {
      HelixDataAccessor accessor = current.getHelixDataAccessor();
      LiveInstance node = accessor.getProperty(accessor.keyBuilder().liveInstance(host()));
      if (node != null && current.isConnected() && Objects.equals(node.getSessionId(), current.getSessionId())) {
        live = new Live(start, Instant.now());
        log.info("host {}: live in cluster {} under session {}", host(), helixCluster, node.getSessionId());
      }
    } catch (RuntimeException e) {
      log.debug("host {}: cannot read its live instance yet: {}", host(), e.toString());
    }
  }

  @Override
  public synchronized void watchHosts(Consumer<List<HostRegistration>> listener) {
    if (state != MemberState.NEW) {
      throw new IllegalStateException("host " + host() + ": watchHosts() after join()");
    }
    this.hostsListener = Objects.requireNonNull(listener, "listener");
  }

  @Override
  public boolean isConnected() {
    HelixManager current;
    synchronized (this) {
      if (state != MemberState.JOINED) {
        return false;
      }
      current = manager;
    }
    return current != null && current.isConnected();
  }

  @Override
  public java.util.Optional<String> sessionId() {
    HelixManager current;
    synchronized (this) {
      if (state != MemberState.JOINED) {
        return java.util.Optional.empty();
      }
      current = manager;
    }
    return current != null && current.isConnected() ? java.util.Optional.ofNullable(current.getSessionId()) : java.util.Optional.empty();
  }

  /** Where joining is; for diagnostics and tests. */
  public synchronized MemberState state() {
    return state;
  }

  /** The Helix manager while connecting or joined, else null; for fault injection in tests. */
  synchronized HelixManager manager() {
    return manager;
  }

  /** The Helix cluster this member joins. */
  public String helixCluster() {
    return helixCluster;
  }

  @Override
  public void close() {
    HelixManager current;
    synchronized (this) {
      if (state == MemberState.CLOSED) {
        return;
      }
      moveTo(MemberState.CLOSED);
      current = manager;
      manager = null;
    }
    stopWorker();
    if (current != null) {
      disconnectQuietly(current);
      log.info("host {}: left cluster {}", host(), helixCluster);
    }
    if (worker.isTerminated()) {
      closeRegistrar(); // the join thread's, now that it is gone
    }
  }

  /**
   * Cancels retries and lets a running attempt see CLOSED and stop by itself; interrupts it only
   * when it is stuck (e.g. connecting to an unreachable ZooKeeper).
   */
  private void stopWorker() {
    worker.shutdown();
    try {
      if (!worker.awaitTermination(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        worker.shutdownNow();
        if (!worker.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
          log.warn("host {}: the join thread did not stop within {} ms", host(), CLOSE_WAIT.toMillis());
        }
      }
    } catch (InterruptedException e) {
      worker.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /** One try at joining, on the join thread; schedules the next one when it fails. */
  private void attempt() {
    HelixManager created = null;
    try {
      if (registrar == null) {
        registrar = new InstanceRegistrar(connectString, sessionTimeout, connectTimeout());
      }
      if (!registrar.clusterReady(helixCluster)) {
        logWaiting();
        retryLater();
        return;
      }
      if (!transition(MemberState.WAITING_FOR_CLUSTER, MemberState.CONNECTING)) {
        return;
      }
      registrar.register(helixCluster, registration);
      created = HelixParticipants.participant(connectString, helixCluster, host(), sessionTimeout, new GiveUpListener());
      synchronized (this) {
        if (state == MemberState.CLOSED) {
          disconnectQuietly(created);
          return;
        }
        manager = created;
      }
      created.connect();
      if (transition(MemberState.CONNECTING, MemberState.JOINED)) {
        log.info("host {}: joined cluster {} as {} (session timeout {} ms)",
            host(), helixCluster, registration.address(), sessionTimeout.toMillis());
        retryMs = FIRST_RETRY_MS;
        waitingLogged = false;
        closeRegistrar();
        if (hostsListener != null) {
          watchLiveHosts(created);
        }
      }
    } catch (Exception e) {
      if (state() == MemberState.CLOSED) {
        return;
      }
      log.warn("host {}: joining cluster {} failed, retrying in {} ms: {}", host(), helixCluster, retryMs, e.toString());
      abandon(created);
      closeRegistrar();
      transition(MemberState.CONNECTING, MemberState.WAITING_FOR_CLUSTER);
      retryLater();
    }
  }

  /**
   * Watches LIVEINSTANCES through {@code joined}'s connection; each change is handled on the join
   * thread. The first listing is handled at once.
   */
  private void watchLiveHosts(HelixManager joined) {
    synchronized (this) {
      if (manager != joined || state != MemberState.JOINED) {
        return;
      }
    }
    try {
      HelixDataAccessor accessor = joined.getHelixDataAccessor();
      String path = accessor.keyBuilder().liveInstances().getPath();
      IZkChildListener onChange = (parent, children) -> {
        try {
          worker.execute(() -> refreshHosts(joined));
        } catch (RejectedExecutionException e) {
          // Closed.
        }
      };
      accessor.getBaseDataAccessor().subscribeChildChanges(path, onChange);
    } catch (RuntimeException e) {
      // Joined all the same: only the watch is retried.
      log.warn("host {}: cannot watch the cluster's live hosts, retrying: {}", host(), e.toString());
      try {
        worker.schedule(() -> watchLiveHosts(joined), FIRST_RETRY_MS, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException closed) {
        // Closed meanwhile.
      }
      return;
    }
    liveHosts.clear();
    refreshHosts(joined);
  }

  /**
   * Reads the live hosts' registrations (only those not seen before) and tells the listener; on
   * the join thread. Does nothing once {@code joined} is no longer the current manager.
   */
  private void refreshHosts(HelixManager joined) {
    synchronized (this) {
      if (manager != joined || state != MemberState.JOINED) {
        return;
      }
    }
    try {
      HelixDataAccessor accessor = joined.getHelixDataAccessor();
      List<String> live = accessor.getChildNames(accessor.keyBuilder().liveInstances());
      Set<String> names = new HashSet<>(live == null ? List.of() : live);
      liveHosts.keySet().retainAll(names);
      for (String name : names) {
        if (!liveHosts.containsKey(name)) {
          InstanceConfig config = accessor.getProperty(accessor.keyBuilder().instanceConfig(name));
          if (config == null) {
            continue; // Not registered yet: its InstanceConfig comes first, so this is a race; the next change has it.
          }
          try {
            liveHosts.put(name, HostRegistration.fromFields(name, config.getRecord().getSimpleFields(), config.getRecord().getMapFields()));
          } catch (IllegalArgumentException e) {
            log.debug("host {}: live instance {} has no Ferry registration: {}", host(), name, e.getMessage());
          }
        }
      }
      List<HostRegistration> snapshot = new ArrayList<>(liveHosts.values());
      snapshot.sort((a, b) -> a.hostName().compareTo(b.hostName()));
      Consumer<List<HostRegistration>> listener = hostsListener;
      if (listener != null) {
        listener.accept(List.copyOf(snapshot));
      }
    } catch (RuntimeException e) {
      log.warn("host {}: cannot read the cluster's live hosts, retrying: {}", host(), e.toString());
      if (!hostsRetryScheduled) {
        hostsRetryScheduled = true;
        try {
          worker.schedule(() -> {
            hostsRetryScheduled = false;
            refreshHosts(joined);
          }, FIRST_RETRY_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
          hostsRetryScheduled = false;
        }
      }
    }
  }

  /** Helix disconnected a joined manager for good: start over with a new one. */
  private void rejoin(HelixManager gaveUp) {
    synchronized (this) {
      if (manager != gaveUp || state != MemberState.JOINED) {
        return;
      }
      manager = null;
      moveTo(MemberState.WAITING_FOR_CLUSTER);
    }
    disconnectQuietly(gaveUp);
    attempt();
  }

  private void abandon(HelixManager created) {
    if (created == null) {
      return;
    }
    synchronized (this) {
      if (manager == created) {
        manager = null;
      }
    }
    disconnectQuietly(created);
  }

  private void retryLater() {
    try {
      worker.schedule(this::attempt, retryMs, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      return; // closed meanwhile
    }
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  }

  private void logWaiting() {
    long now = System.nanoTime();
    if (!waitingLogged || now - lastWaitingLog >= WAITING_LOG_INTERVAL_NANOS) {
      log.info("host {}: waiting for cluster {} to be created by a coordinator", host(), helixCluster);
      waitingLogged = true;
      lastWaitingLog = now;
    }
  }

  private synchronized boolean transition(MemberState from, MemberState to) {
    if (state != from) {
      return false;
    }
    moveTo(to);
    return true;
  }

  private void moveTo(MemberState to) {
    if (!state.canMoveTo(to)) {
      throw new IllegalStateException("host " + host() + ": illegal membership transition " + state + " -> " + to);
    }
    log.debug("host {}: cluster membership {} -> {}", host(), state, to);
    state = to;
  }

  private Duration connectTimeout() {
    Duration twice = sessionTimeout.multipliedBy(2);
    return twice.compareTo(Duration.ofSeconds(5)) < 0 ? Duration.ofSeconds(5) : twice;
  }

  private void closeRegistrar() {
    if (registrar != null) {
      try {
        registrar.close();
      } catch (RuntimeException e) {
        log.debug("host {}: closing the registration connection: {}", host(), e.toString());
      }
      registrar = null;
    }
  }

  private void disconnectQuietly(HelixManager m) {
    try {
      m.disconnect();
    } catch (RuntimeException e) {
      log.debug("host {}: disconnecting from cluster {}: {}", host(), helixCluster, e.toString());
    }
  }

  private String host() {
    return registration.hostName();
  }

  /** Told by Helix (on its ZooKeeper event thread) when it gives a session up for good. */
  private final class GiveUpListener implements HelixManagerStateListener {
    @Override
    public void onConnected(HelixManager helixManager) {
      log.debug("host {}: Helix session established", host());
    }

    @Override
    public void onDisconnected(HelixManager helixManager, Throwable error) {
      log.warn("host {}: Helix gave up on its session with cluster {}, re-joining: {}", host(), helixCluster,
          error == null ? "no reason given" : error.toString());
      try {
        worker.execute(() -> rejoin(helixManager));
      } catch (RejectedExecutionException e) {
        log.debug("host {}: closed, not re-joining", host());
      }
    }
  }
}
