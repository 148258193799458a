package io.ferry.agent.cluster;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ties this host's right to run its high-availability containers to its ZooKeeper session: a host
 * cut off from ZooKeeper stops them (fences itself) before the cluster can start them on another
 * host, so an HA container never runs twice.
 *
 * <p>The timeline, with session timeout T: the ZooKeeper client reports Disconnected when its
 * connection closes, or after 2/3 T without hearing from the server (a partition). From then the
 * fence waits {@code fenceDelay} (default T/6) for the connection to come back, then kills every
 * running HA container at once (no clean shutdown: the bound matters more). The server expires the
 * session T after it last heard from the host; only then do coordinators see the host gone and
 * restart its HA containers elsewhere (after their own margin). So the kill lands at most about
 * 2/3 T + T/6 after the host was cut off, before the expiry at T. A blip shorter than the fence
 * delay (after the disconnection is noticed) kills nothing.
 *
 * <p>Coming back: when the same session reconnects and the host's cluster membership ({@link
 * ClusterMember#sessionId()}) is still the session it was when the fence struck, nobody can have
 * started the containers elsewhere, so the fence starts them again. When either session expired
 * meanwhile, the fenced containers stay stopped: the cluster may be running them on another host,
 * and it decides. A session that expires before the fence struck fences at once.
 *
 * <p>The fence watches a ZooKeeper session of its own (same ensemble, same timeout, same network
 * path as the membership's): Helix keeps its client private. The two clients notice a cut at
 * different moments, so the fence can strike after the membership already came back under a new
 * session (a host paused past its timeout notices everything at once, when it resumes): the
 * cluster has then seen the host leave and return, and may have placed HA containers here since.
 * When the cluster has seen the host live under a membership session since after the fence's own
 * session was last seen connected ({@link ClusterMember#liveSince()}, read without blocking), the
 * containers running since then belong to that session and are spared; the others are killed. A
 * container resumed (unfrozen) since then counts as running since its resume.
 *
 * <p>Threading: every decision runs on the fence's own thread; ZooKeeper's events are handed to
 * it. {@link Guarded} is called from that thread only.
 */
public final class SessionFence implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SessionFence.class);

  /** How often the fence notes that its session is connected, and, while struck, looks for HA containers running again. */
  static final Duration LOOK = Duration.ofMillis(100);

  /** An HA container running here, and since when it runs (its latest start, restore or resume). */
  public record RunningHa(String name, Instant since) {}

  /** The containers the fence guards: this host's HA containers. */
  public interface Guarded {
    /** The HA containers running here now. */
    List<RunningHa> runningHa();

    /** Kills one at once; a failure is logged and the others are still killed. */
    void kill(String name);

    /** Starts one again after a fence that turned out unnecessary. */
    void start(String name);
  }

  private final String connectString;
  private final Duration sessionTimeout;
  private final Duration fenceDelay;
  private final Guarded guarded;
  private final Supplier<Optional<String>> membership;
  private final Supplier<Optional<Instant>> liveSince;
  private final ScheduledExecutorService thread;

  // The fence thread's own.
  private ZooKeeper zookeeper;
  /**
   * Whether the fence's session is connected, as its last event said: the client's own state can
   * still read connected for seconds after it reported the disconnection (while it waits to retry).
   */
  private volatile boolean inContact;
  private ScheduledFuture<?> pending;
  private final Set<String> fenced = new LinkedHashSet<>();
  private Optional<String> membershipAtFence = Optional.empty();
  /** The last time the fence's own session was seen connected. */
  private Instant lastContact = Instant.MIN;
  private boolean expiredSinceFence;
  /** From a strike until the fence's session is connected again: no unspared HA container runs. */
  private boolean struck;
  /** While struck after a re-join: HA containers running since this instant are spared. */
  private Instant spareSince;
  private boolean closed;

  /**
   * @param fenceDelay how long a disconnection may last, once noticed, before the fence strikes;
   *     keep it well under T/3
   * @param membership the membership's session now ({@link ClusterMember#sessionId()})
   * @param liveSince since when the cluster sees the host live under it ({@link
   *     ClusterMember#liveSince()}); must not block
   */
  public SessionFence(
      String connectString, Duration sessionTimeout, Duration fenceDelay, Guarded guarded, Supplier<Optional<String>> membership,
      Supplier<Optional<Instant>> liveSince) {
    this.connectString = connectString;
    this.sessionTimeout = sessionTimeout;
    this.fenceDelay = fenceDelay;
    this.guarded = guarded;
    this.membership = membership;
    this.liveSince = liveSince;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "session-fence");
      t.setDaemon(true);
      return t;
    });
  }

  /** The default fence delay for a session timeout: T/6, at least 200 ms. */
  public static Duration defaultDelay(Duration sessionTimeout) {
    return Duration.ofMillis(Math.max(200, sessionTimeout.toMillis() / 6));
  }

  /** Opens the fence's session (in the background, as ZooKeeper connects). */
  public SessionFence start() {
    thread.execute(this::connect);
    thread.scheduleWithFixedDelay(this::look, 0, LOOK.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /**
   * Every {@link #LOOK}, on the fence thread: notes that the fence's session is still connected;
   * while struck, kills what runs again.
   */
  private void look() {
    if (inContact) {
      lastContact = Instant.now();
    }
    if (struck && !closed) {
      keepStruck();
    }
  }

  /** The containers the fence stopped and has not started again; for diagnostics and tests. */
  public Set<String> fenced() {
    try {
      return thread.submit(() -> Set.copyOf(fenced)).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("the fence thread does not answer", e);
    }
  }

  /** True while the fence's own session is connected (since its last SyncConnected event). */
  public boolean connected() {
    return inContact;
  }

  private void connect() {
    if (closed) {
      return;
    }
    try {
      zookeeper = new ZooKeeper(connectString, Math.toIntExact(sessionTimeout.toMillis()), event -> thread.execute(() -> on(event)));
    } catch (IOException e) {
      log.warn("fence: cannot open a ZooKeeper session ({}); retrying", e.getMessage());
      thread.schedule(this::connect, 1, TimeUnit.SECONDS);
    }
  }

  private void on(WatchedEvent event) {
    if (closed || event.getType() != org.apache.zookeeper.Watcher.Event.EventType.None) {
      return;
    }
    KeeperState state = event.getState();
    switch (state) {
      case Disconnected -> {
        inContact = false;
        if (pending == null && !struck) {
          log.warn("fence: disconnected from ZooKeeper; HA containers stop in {} ms unless it comes back", fenceDelay.toMillis());
          pending = thread.schedule(this::strike, fenceDelay.toMillis(), TimeUnit.MILLISECONDS);
        }
      }
      case SyncConnected -> {
        inContact = true;
        lastContact = Instant.now();
        if (pending != null) {
          pending.cancel(false);
          pending = null;
          log.info("fence: reconnected to ZooKeeper in time; nothing stopped");
        }
        if (struck) {
          liftOrKeep();
        }
      }
      case Expired -> {
        inContact = false;
        if (pending != null) {
          pending.cancel(false);
          pending = null;
        }
        if (!struck) {
          log.warn("fence: the ZooKeeper session expired before the fence struck: stopping HA containers now");
          strike();
        }
        expiredSinceFence = true;
        close(zookeeper);
        connect();
      }
      default -> {
        // AuthFailed, SaslAuthenticated, ConnectedReadOnly, Closed: nothing to decide.
      }
    }
  }

  /**
   * Kills every running HA container, except those started since the membership came back under a
   * new session (see the class comment).
   */
  private void strike() {
    pending = null;
    // The cluster seeing the host live since after the fence's last contact: it saw the host leave
    // and come back, under a session this cut does not threaten.
    Optional<Instant> live = liveSince.get();
    boolean rejoined = live.isPresent() && live.get().isAfter(lastContact);
    spareSince = rejoined ? live.get() : null;
    // After a re-join, the session the killed containers ran under has expired already: they stay
    // stopped whatever the fence's own session does.
    expiredSinceFence = rejoined;
    struck = true;
    List<RunningHa> running = guarded.runningHa();
    running.stream().filter(this::spared).forEach(ha -> log.info(
        "fence: HA container {} runs since {}, after the cluster saw this host live again (since {}): spared",
        ha.name(), ha.since(), spareSince));
    killUnspared(running);
    // After the kills: reading the membership may wait for Helix.
    membershipAtFence = membership.get();
    if (running.isEmpty()) {
      log.info("fence: cut off from ZooKeeper past the fence delay; no HA container runs here");
    } else {
      log.warn("fence: cut off from ZooKeeper for {} ms after the disconnection was noticed: killed {} HA container(s) {}",
          fenceDelay.toMillis(), fenced.size(), fenced);
    }
  }

  private boolean spared(RunningHa ha) {
    return spareSince != null && !ha.since().isBefore(spareSince);
  }

  /** Kills those of {@code running} not spared; a failure is logged (a later look tries again). */
  private void killUnspared(List<RunningHa> running) {
    for (RunningHa ha : running) {
      if (spared(ha)) {
        continue;
      }
      try {
        guarded.kill(ha.name());
        fenced.add(ha.name());
      } catch (RuntimeException e) {
        log.error("fence: cannot kill HA container {}: {}", ha.name(), e.toString());
      }
    }
  }

  /**
   * While struck: an HA container that runs again (a migration rolled back unfreezes its source, a
   * start by hand) is killed at once, unless spared.
   */
  private void keepStruck() {
    List<RunningHa> running = guarded.runningHa().stream().filter(ha -> !spared(ha)).toList();
    if (!running.isEmpty()) {
      log.warn("fence: HA container(s) running while this host is fenced: killing {}", running.stream().map(RunningHa::name).toList());
      killUnspared(running);
    }
  }

  /** After reconnecting: start the fenced containers again only if no session expired. */
  private void liftOrKeep() {
    struck = false;
    spareSince = null;
    Optional<String> now = membership.get();
    if (!expiredSinceFence && membershipAtFence.isPresent() && membershipAtFence.equals(now)) {
      for (String name : fenced) {
        try {
          guarded.start(name);
        } catch (RuntimeException e) {
          log.error("fence: cannot start HA container {} again: {}", name, e.toString());
        }
      }
      log.info("fence: the session survived; started {} HA container(s) again: {}", fenced.size(), fenced);
    } else {
      log.warn("fence: a session expired while cut off; {} HA container(s) stay stopped for the cluster to place: {}", fenced.size(), fenced);
    }
    fenced.clear();
  }

  @Override
  public void close() {
    thread.execute(() -> {
      closed = true;
      if (pending != null) {
        pending.cancel(false);
      }
      close(zookeeper);
    });
    thread.shutdown();
    try {
      thread.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void close(ZooKeeper zookeeper) {
    if (zookeeper == null) {
      return;
    }
    try {
      zookeeper.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
