package io.ferry.coordinator.cluster.helix;

import io.ferry.common.cluster.HelixNames;
import io.ferry.common.cluster.HostRegistration;
import io.ferry.coordinator.cluster.ClusterUnavailableException;
import io.ferry.coordinator.cluster.HostMember;
import io.ferry.coordinator.cluster.HostOperation;
import io.ferry.coordinator.cluster.Membership;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.helix.HelixDataAccessor;
import org.apache.helix.HelixException;
import org.apache.helix.HelixManager;
import org.apache.helix.InstanceType;
import org.apache.helix.PropertyKey;
import org.apache.helix.api.listeners.InstanceConfigChangeListener;
import org.apache.helix.api.listeners.LiveInstanceChangeListener;
import org.apache.helix.constants.InstanceConstants;
import org.apache.helix.model.InstanceConfig;
import org.apache.helix.zookeeper.zkclient.exception.ZkException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's hosts read from Helix: a SPECTATOR manager of its own follows the InstanceConfigs
 * (the agents' {@link HostRegistration}s and the instance operations) and the LIVEINSTANCES.
 *
 * <p>Every Helix notification (and a resync every {@value #RESYNC_MS} ms, against a lost one)
 * queues one re-read of both on the membership thread ({@code membership-CLUSTER}); notifications
 * that arrive meanwhile are folded into it. A failed re-read is retried after {@value #RETRY_MS}
 * ms. Helix re-registers the watches after a session expiry and notifies again.
 */
public final class HelixMembership implements Membership {

  private static final Logger log = LoggerFactory.getLogger(HelixMembership.class);

  static final long RESYNC_MS = 30_000;
  static final long RETRY_MS = 1_000;

  private final String helixCluster;
  private final HelixManager manager;
  private final ScheduledExecutorService thread;
  private final AtomicBoolean refreshQueued = new AtomicBoolean();
  private final List<Consumer<List<HostMember>>> listeners = new CopyOnWriteArrayList<>();

  /** The hosts as last read, in name order, and the same by name: replaced together. */
  private record Members(List<HostMember> hosts, Map<String, HostMember> byName) {
    static final Members NONE = new Members(List.of(), Map.of());

    static Members of(List<HostMember> hosts) {
      Map<String, HostMember> byName = new HashMap<>();
      hosts.forEach(h -> byName.put(h.name(), h));
      return new Members(hosts, Map.copyOf(byName));
    }
  }

  private volatile Members snapshot = Members.NONE;
  private volatile boolean closed;

  // Membership thread only: the instances skipped, and why, so each is warned about once.
  private Map<String, String> skipped = Map.of();

  private HelixMembership(String helixCluster, HelixManager manager) {
    this.helixCluster = helixCluster;
    this.manager = manager;
    this.thread = Executors.newSingleThreadScheduledExecutor(HelixLeadership.daemon("membership-" + helixCluster));
  }

  /**
   * Starts following an existing cluster (see {@link HelixClusterSetup}); returns once the first
   * snapshot is read.
   *
   * @param observerName a name for this spectator in Helix's logs, e.g. the coordinator's id
   * @throws Exception when Helix cannot connect (ZooKeeper unreachable, cluster missing) or the
   *     first read fails
   */
  public static HelixMembership start(String connectString, String ferryCluster, String observerName, Duration sessionTimeout)
      throws Exception {
    String helixCluster = HelixNames.clusterName(ferryCluster);
    HelixManager manager =
        HelixClients.manager(InstanceType.SPECTATOR, connectString, helixCluster, observerName + "-membership", sessionTimeout);
    HelixMembership membership = new HelixMembership(helixCluster, manager);
    try {
      manager.connect();
      manager.addInstanceConfigChangeListener((InstanceConfigChangeListener) (configs, context) -> membership.requestRefresh());
      manager.addLiveInstanceChangeListener((LiveInstanceChangeListener) (lives, context) -> membership.requestRefresh());
      membership.thread.submit(() -> {
        membership.snapshot = Members.of(membership.read());
      }).get(sessionTimeout.toMillis() * 2, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      membership.close();
      throw e.getCause() instanceof Exception cause ? cause : e;
    } catch (Exception e) {
      membership.close();
      throw e;
    }
    membership.thread.scheduleWithFixedDelay(membership::requestRefresh, RESYNC_MS, RESYNC_MS, TimeUnit.MILLISECONDS);
    log.info("cluster {}: following membership, {} host(s)", helixCluster, membership.snapshot.hosts().size());
    return membership;
  }

  @Override
  public List<HostMember> hosts() {
    return snapshot.hosts();
  }

  @Override
  public Optional<HostMember> host(String name) {
    return Optional.ofNullable(snapshot.byName().get(name));
  }

  @Override
  public void addListener(Consumer<List<HostMember>> listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  @Override
  public void setOperation(String name, HostOperation operation, String reason) {
    HelixDataAccessor accessor = manager.getHelixDataAccessor();
    try {
      if (accessor.getProperty(accessor.keyBuilder().instanceConfig(name)) == null) {
        throw new IllegalArgumentException("no host " + name + " is registered in cluster " + helixCluster);
      }
      manager.getClusterManagmentTool().setInstanceOperation(helixCluster, name, toHelix(operation), reason);
    } catch (HelixException | ZkException e) {
      throw new ClusterUnavailableException("cannot set host " + name + " to " + operation + ": " + e.getMessage(), e);
    }
    log.info("cluster {}: host {} set to {} ({})", helixCluster, name, operation, reason);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    thread.shutdownNow();
    try {
      manager.disconnect();
    } catch (RuntimeException e) {
      log.debug("cluster {}: disconnecting the membership spectator: {}", helixCluster, e.toString());
    }
  }

  /** Queues one re-read unless one is already queued; called on Helix's threads too. */
  private void requestRefresh() {
    if (closed || !refreshQueued.compareAndSet(false, true)) {
      return;
    }
    try {
      thread.execute(this::refresh);
    } catch (RejectedExecutionException e) {
      refreshQueued.set(false); // closed
    }
  }

  /** Re-reads configs and live instances; on the membership thread. */
  private void refresh() {
    refreshQueued.set(false);
    if (closed) {
      return;
    }
    List<HostMember> hosts;
    try {
      hosts = read();
    } catch (RuntimeException e) {
      log.warn("cluster {}: reading membership failed, retrying in {} ms: {}", helixCluster, RETRY_MS, e.toString());
      try {
        thread.schedule(this::requestRefresh, RETRY_MS, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException closedMeanwhile) {
        log.debug("cluster {}: closed, not retrying", helixCluster);
      }
      return;
    }
    if (hosts.equals(snapshot.hosts())) {
      return;
    }
    snapshot = Members.of(hosts);
    for (Consumer<List<HostMember>> listener : listeners) {
      try {
        listener.accept(hosts);
      } catch (RuntimeException e) {
        log.warn("cluster {}: membership listener {} failed", helixCluster, listener, e);
      }
    }
  }

  private List<HostMember> read() {
    HelixDataAccessor accessor = manager.getHelixDataAccessor();
    PropertyKey.Builder keys = accessor.keyBuilder();
    List<InstanceConfig> configs = accessor.getChildValues(keys.instanceConfigs(), true);
    Set<String> live = new HashSet<>(accessor.getChildNames(keys.liveInstances()));
    List<HostMember> hosts = new ArrayList<>();
    Map<String, String> problems = new HashMap<>();
    for (InstanceConfig config : configs) {
      String name = config.getInstanceName();
      try {
        HostRegistration registration =
            HostRegistration.fromFields(name, config.getRecord().getSimpleFields(), config.getRecord().getMapFields());
        hosts.add(new HostMember(registration, live.contains(name), config.getInstanceEnabled()));
      } catch (IllegalArgumentException e) {
        problems.put(name, e.getMessage());
        if (!e.getMessage().equals(skipped.get(name))) {
          log.warn("cluster {}: skipping instance {}: {}", helixCluster, name, e.getMessage());
        }
      }
    }
    skipped = problems;
    hosts.sort(Comparator.comparing(HostMember::name));
    return List.copyOf(hosts);
  }

  private static InstanceConstants.InstanceOperation toHelix(HostOperation operation) {
    switch (operation) {
      case ENABLE:
        return InstanceConstants.InstanceOperation.ENABLE;
      case DISABLE:
        return InstanceConstants.InstanceOperation.DISABLE;
      case EVACUATE:
        return InstanceConstants.InstanceOperation.EVACUATE;
      default:
        throw new IllegalArgumentException("unknown host operation " + operation);
    }
  }

  /** The Helix manager, for fault injection in tests. */
  HelixManager manager() {
    return manager;
  }
}
