package io.ferry.coordinator.cluster.helix;

import io.ferry.common.Names;
import io.ferry.common.cluster.HelixNames;
import io.ferry.coordinator.cluster.Leadership;
import io.ferry.coordinator.cluster.LeadershipListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.helix.HelixDataAccessor;
import org.apache.helix.HelixManager;
import org.apache.helix.InstanceType;
import org.apache.helix.api.listeners.ControllerChangeListener;
import org.apache.helix.model.LiveInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Coordinator leader election through Helix: each coordinator runs a Helix CONTROLLER named by
 * its coordinator id; Helix elects one of them (an ephemeral leader node in ZooKeeper), and the
 * elected one also runs Helix's controller pipeline for the cluster.
 *
 * <p>How leadership is decided here: this coordinator leads while its manager is connected and
 * the leader node names it and is owned by its current ZooKeeper session. That is re-checked on
 * the leadership thread ({@code leadership-ID}) on every change of the controller nodes and every
 * {@value #POLL_MS} ms. A check that cannot finish within a third of the session timeout (at
 * most 1 s: the connection was lost mid-read) counts as "not leader". So a leader cut off from
 * ZooKeeper reports not-leader within about a poll interval (plus that read time), long before
 * its session expires and another coordinator can be elected. After a session expiry Helix
 * re-joins the election with a new session by itself.
 *
 * <p>Known limit: between a client-side session expiry and Helix's handling of the new session
 * (milliseconds), the old session id is compared; with a real expiry the server has already
 * deleted the old leader node by then, so this cannot make two leaders.
 */
public final class HelixLeadership implements Leadership {

  private static final Logger log = LoggerFactory.getLogger(HelixLeadership.class);

  static final long POLL_MS = 200;

  private final String coordinatorId;
  private final String helixCluster;
  private final HelixManager manager;
  private final Duration readTimeout;
  private final ScheduledExecutorService events;
  private final ExecutorService reader;

  private volatile boolean leader;
  private volatile Optional<String> leaderId = Optional.empty();
  private volatile boolean closed;

  // Leadership thread only.
  private final List<LeadershipListener> listeners = new ArrayList<>();
  private Future<Observation> pendingRead;

  private HelixLeadership(String coordinatorId, String helixCluster, HelixManager manager, Duration sessionTimeout) {
    this.coordinatorId = coordinatorId;
    this.helixCluster = helixCluster;
    this.manager = manager;
    long third = sessionTimeout.toMillis() / 3;
    this.readTimeout = Duration.ofMillis(Math.max(100, Math.min(1000, third)));
    this.events = Executors.newSingleThreadScheduledExecutor(daemon("leadership-" + coordinatorId));
    this.reader = Executors.newSingleThreadExecutor(daemon("leadership-reader-" + coordinatorId));
  }

  /**
   * Joins the election of an existing cluster (see {@link HelixClusterSetup}) and returns; this
   * coordinator may or may not lead by then.
   *
   * @throws Exception when Helix cannot connect (ZooKeeper unreachable, cluster missing)
   */
  public static HelixLeadership start(String connectString, String ferryCluster, String coordinatorId, Duration sessionTimeout)
      throws Exception {
    Names.require("coordinator", coordinatorId);
    String helixCluster = HelixNames.clusterName(ferryCluster);
    HelixManager manager = HelixClients.manager(InstanceType.CONTROLLER, connectString, helixCluster, coordinatorId, sessionTimeout);
    HelixLeadership leadership = new HelixLeadership(coordinatorId, helixCluster, manager, sessionTimeout);
    try {
      manager.connect();
      manager.addControllerListener((ControllerChangeListener) context -> leadership.check());
    } catch (Exception e) {
      leadership.close();
      throw e;
    }
    leadership.events.scheduleWithFixedDelay(leadership::evaluate, 0, POLL_MS, TimeUnit.MILLISECONDS);
    log.info("coordinator {}: in the leader election of cluster {} (session timeout {} ms)",
        coordinatorId, helixCluster, sessionTimeout.toMillis());
    return leadership;
  }

  @Override
  public boolean isLeader() {
    return leader;
  }

  @Override
  public Optional<String> leaderId() {
    return leaderId;
  }

  @Override
  public void addListener(LeadershipListener listener) {
    submit(() -> {
      listeners.add(listener);
      if (leader) {
        tell(listener, LeadershipListener::leadershipGained);
      }
    });
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    // Stop leader work first, then release the leader node (the session's end deletes it).
    Future<?> stepDown = submit(() -> changeTo(false, Optional.empty()));
    try {
      if (stepDown != null) {
        stepDown.get(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warn("coordinator {}: stepping down: {}", coordinatorId, e.toString());
    }
    events.shutdownNow();
    reader.shutdownNow();
    try {
      manager.disconnect();
    } catch (RuntimeException e) {
      log.debug("coordinator {}: disconnecting: {}", coordinatorId, e.toString());
    }
    log.info("coordinator {}: left the leader election of cluster {}", coordinatorId, helixCluster);
  }

  /** Asks for a re-check soon; called on Helix's threads. */
  private void check() {
    submit(this::evaluate);
  }

  /** Re-checks leadership and tells listeners of a change; leadership thread only. */
  private void evaluate() {
    if (closed) {
      return;
    }
    if (!manager.isConnected()) {
      changeTo(false, Optional.empty());
      return;
    }
    Observation seen = observeInTime();
    changeTo(seen.leads(), seen.leaderId());
  }

  /** What the leader node says; "not leader, unknown leader" when it cannot be read in time. */
  private Observation observeInTime() {
    if (pendingRead != null && !pendingRead.isDone()) {
      return Observation.UNKNOWN; // still stuck in the previous read
    }
    try {
      pendingRead = reader.submit(this::observe);
      return pendingRead.get(readTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | RejectedExecutionException e) {
      return Observation.UNKNOWN;
    } catch (ExecutionException e) {
      log.debug("coordinator {}: reading the leader node: {}", coordinatorId, e.getCause().toString());
      return Observation.UNKNOWN;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Observation.UNKNOWN;
    }
  }

  /** On the reader thread: any of these calls may block while the connection is down. */
  private Observation observe() {
    if (!manager.isConnected()) {
      return Observation.UNKNOWN;
    }
    String session = manager.getSessionId();
    HelixDataAccessor accessor = manager.getHelixDataAccessor();
    LiveInstance node = accessor.getProperty(accessor.keyBuilder().controllerLeader());
    if (node == null) {
      return new Observation(false, Optional.empty());
    }
    boolean leads = coordinatorId.equals(node.getInstanceName())
        && session.equals(node.getEphemeralOwner())
        && manager.isConnected();
    return new Observation(leads, Optional.of(node.getInstanceName()));
  }

  /** One reading of the leader node. */
  private record Observation(boolean leads, Optional<String> leaderId) {
    static final Observation UNKNOWN = new Observation(false, Optional.empty());
  }

  private void changeTo(boolean leads, Optional<String> id) {
    leaderId = id;
    if (leads == leader) {
      return;
    }
    leader = leads;
    if (leads) {
      log.info("coordinator {}: leads cluster {}", coordinatorId, helixCluster);
      listeners.forEach(l -> tell(l, LeadershipListener::leadershipGained));
    } else {
      log.info("coordinator {}: no longer leads cluster {}", coordinatorId, helixCluster);
      listeners.forEach(l -> tell(l, LeadershipListener::leadershipLost));
    }
  }

  private void tell(LeadershipListener listener, Consumer<LeadershipListener> call) {
    try {
      call.accept(listener);
    } catch (RuntimeException e) {
      log.warn("coordinator {}: leadership listener {} failed", coordinatorId, listener, e);
    }
  }

  private Future<?> submit(Runnable task) {
    try {
      return events.submit(task);
    } catch (RejectedExecutionException e) {
      return null; // closed
    }
  }

  static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** The Helix manager, for fault injection in tests. */
  HelixManager manager() {
    return manager;
  }
}
