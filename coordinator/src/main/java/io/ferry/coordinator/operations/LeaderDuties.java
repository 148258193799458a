package io.ferry.coordinator.operations;

import io.ferry.coordinator.cluster.HostMember;
import io.ferry.coordinator.cluster.Leadership;
import io.ferry.coordinator.cluster.Membership;
import io.ferry.coordinator.hosts.AgentClients;
import io.ferry.coordinator.hosts.HostDirectory;
import io.ferry.coordinator.hosts.HostImages;
import io.ferry.coordinator.store.ClusterStore;
import io.ferry.coordinator.store.ContainerRecord;
import io.ferry.coordinator.store.OperationRecord;
import io.ferry.coordinator.store.Versioned;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.ListContainersRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic upkeep of the cluster's state:
 *
 * <ul>
 *   <li>every coordinator keeps its {@link HostImages} fresh (at once for a host that comes
 *       online, then every {@code interval});
 *   <li>the leader records each host's capacity for reservations when it joins or changes;
 *   <li>the leader records what each host reports of its containers (state, pid, address) on
 *       containers no operation is working on, so {@code list} shows e.g. a container whose init
 *       exited by itself;
 *   <li>the leader resumes any RUNNING operation nobody runs (see {@link
 *       OperationRunner#resumeRunning()});
 *   <li>the leader deletes ended operations older than {@code keepEnded}.
 * </ul>
 *
 * Hosts are asked on a small pool of named threads; a host that cannot be asked is skipped until
 * the next round.
 */
public final class LeaderDuties implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(LeaderDuties.class);

  private final ClusterStore store;
  private final Membership membership;
  private final Leadership leadership;
  private final HostImages images;
  private final AgentClients agents;
  private final OperationRunner runner;
  private final Clock clock;
  private final Duration interval;
  private final Duration keepEnded;
  private final ScheduledExecutorService timer;
  private final ExecutorService askers;
  private final Set<String> liveHosts = ConcurrentHashMap.newKeySet();

  public LeaderDuties(
      ClusterStore store,
      Membership membership,
      Leadership leadership,
      HostImages images,
      AgentClients agents,
      OperationRunner runner,
      Clock clock,
      Duration interval,
      Duration keepEnded) {
    this.store = store;
    this.membership = membership;
    this.leadership = leadership;
    this.images = images;
    this.agents = agents;
    this.runner = runner;
    this.clock = clock;
    this.interval = interval;
    this.keepEnded = keepEnded;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "leader-duties"));
    this.askers = Executors.newFixedThreadPool(8, r -> daemon(r, "host-sync"));
  }

  public LeaderDuties start() {
    membership.addListener(members -> timer.execute(() -> membershipChanged(members)));
    timer.execute(() -> membershipChanged(membership.hosts()));
    timer.scheduleWithFixedDelay(this::round, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /** Registers every member's capacity now (the leader does this on gaining leadership). */
  public void registerAll() {
    timer.execute(() -> membershipChanged(membership.hosts()));
  }

  private void membershipChanged(List<HostMember> members) {
    try {
      Set<String> present = new java.util.HashSet<>();
      for (HostMember member : members) {
        present.add(member.name());
        if (leadership.isLeader()) {
          var capacity = HostDirectory.capacity(member.registration());
          boolean known = store.hostAllocation(member.name()).map(a -> a.capacity().equals(capacity)).orElse(false);
          if (!known) {
            store.registerHost(member.name(), capacity);
            log.info("host {} registered with capacity {}", member.name(), capacity);
          }
        }
        if (member.live() && liveHosts.add(member.name())) {
          askers.execute(() -> images.refresh(member.name()));
        } else if (!member.live()) {
          liveHosts.remove(member.name());
        }
      }
      liveHosts.retainAll(present);
      images.hosts().stream().filter(h -> !present.contains(h)).forEach(images::forget);
    } catch (RuntimeException e) {
      log.warn("cannot record membership: {}", e.toString());
    }
  }

  private void round() {
    try {
      // Each host's containers, found in one pass: a pass per host would cost hosts x containers.
      Map<String, List<String>> containersByHost = new HashMap<>();
      if (leadership.isLeader()) {
        for (Versioned<ContainerRecord> v : store.containers()) {
          containersByHost.computeIfAbsent(v.value().host(), h -> new ArrayList<>()).add(v.value().name());
        }
      }
      for (String host : List.copyOf(liveHosts)) {
        List<String> names = containersByHost.getOrDefault(host, List.of());
        askers.execute(() -> {
          images.refresh(host);
          if (leadership.isLeader()) {
            syncContainers(host, names);
          }
        });
      }
      if (leadership.isLeader()) {
        runner.resumeRunning();
        collectEndedOperations();
      }
    } catch (RuntimeException e) {
      log.warn("upkeep round failed: {}", e.toString());
    }
  }

  /**
   * Records what {@code host} reports of {@code names} (its containers when the round began; a
   * container placed since is left to the next round, it has a launch running anyway).
   */
  private void syncContainers(String host, List<String> names) {
    List<Container> reported;
    try {
      reported = agents.blocking(host).listContainers(ListContainersRequest.getDefaultInstance()).getContainersList();
    } catch (RuntimeException e) {
      log.debug("cannot list the containers of host {}: {}", host, e.toString());
      return;
    }
    Map<String, Container> byName = new HashMap<>();
    reported.forEach(c -> byName.put(c.getSpec().getName(), c));
    removeStaleHaCopies(host, reported);
    for (String name : names) {
      Optional<Versioned<ContainerRecord>> current = store.container(name);
      if (current.isEmpty()) {
        continue;
      }
      Versioned<ContainerRecord> v = current.get();
      ContainerRecord record = v.value();
      if (!record.host().equals(host) || !record.operationId().isEmpty() && store.operation(record.operationId()).filter(op -> !op.state().isFinal()).isPresent()) {
        continue;
      }
      Container seen = byName.get(record.name());
      if (seen == null || Arrays.equals(summary(seen), summaryOf(record))) {
        continue;
      }
      try {
        store.updateContainer(record.withObserved(seen.toBuilder().clearUsage().build().toByteArray(), clock.millis()), v.version());
      } catch (ClusterStore.ConflictException e) {
        // Changed meanwhile: the next round looks again.
      } catch (RuntimeException e) {
        log.debug("cannot record the state of {}: {}", record.name(), e.toString());
      }
    }
  }

  /**
   * Deletes from {@code host} the copies of HA containers the cluster restarted elsewhere while
   * the host was gone (a failover: no operation works on them and their record names another
   * host), or deleted meanwhile (a stopped HA copy the cluster has no record of). Such a copy is stopped (its host fenced it, or died with it); it is deleted by force all
   * the same, so that it can never run, nor its network answer for the address it shares with the
   * container that runs now.
   */
  private void removeStaleHaCopies(String host, List<Container> reported) {
    for (Container copy : reported) {
      String name = copy.getSpec().getName();
      Optional<ContainerRecord> record = store.container(name).map(Versioned::value);
      boolean stale;
      if (record.isEmpty()) {
        // An HA container deleted while this host was gone left its old copy here, holding its
        // address. Only a stopped HA copy, and only if ZooKeeper itself (not this mirror) agrees
        // the cluster has no such container: anything else may be a launch in flight.
        stale = copy.getSpec().getHa() && copy.getState() != ContainerState.CONTAINER_STATE_RUNNING && store.containerNow(name).isEmpty();
      } else {
        stale = !record.get().host().equals(host) && record.get().haState().isPresent() && record.get().operationId().isEmpty();
      }
      if (!stale) {
        continue;
      }
      try {
        agents.blocking(host).deleteContainer(DeleteContainerRequest.newBuilder().setName(name).setForce(true).build());
        log.warn("deleted the stale copy of HA container {} on host {} ({})", name, host,
            record.map(r -> "it runs on " + r.host() + " since a failover").orElse("the cluster deleted it meanwhile"));
      } catch (RuntimeException e) {
        log.warn("cannot delete the stale copy of HA container {} on host {}: {}", name, host, e.toString());
      }
    }
  }

  /** What must change for a container's record to be rewritten: not its ever-moving usage. */
  private static byte[] summary(Container c) {
    return c.toBuilder().clearUsage().build().toByteArray();
  }

  private static byte[] summaryOf(ContainerRecord record) {
    return record.observed();
  }

  private void collectEndedOperations() {
    long cutoff = clock.millis() - keepEnded.toMillis();
    store.operations().stream()
        .filter(op -> op.state().isFinal() && op.updatedAtMillis() < cutoff)
        .sorted(Comparator.comparing(OperationRecord::id))
        .forEach(op -> {
          boolean inUse = store.container(op.target()).map(c -> c.value().operationId().equals(op.id())).orElse(false);
          if (!inUse) {
            store.deleteOperation(op.id());
          }
        });
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  @Override
  public void close() {
    timer.shutdownNow();
    askers.shutdownNow();
  }
}
