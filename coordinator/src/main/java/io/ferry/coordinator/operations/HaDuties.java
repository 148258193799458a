package io.ferry.coordinator.operations;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.coordinator.cluster.HostMember;
import io.ferry.coordinator.cluster.Leadership;
import io.ferry.coordinator.cluster.Membership;
import io.ferry.coordinator.hosts.AgentClients;
import io.ferry.coordinator.hosts.HostDirectory;
import io.ferry.coordinator.placement.ClusterSnapshot;
import io.ferry.coordinator.placement.HostState;
import io.ferry.coordinator.placement.PlacementDecision;
import io.ferry.coordinator.placement.PlacementRequest;
import io.ferry.coordinator.placement.Placer;
import io.ferry.coordinator.placement.Strategy;
import io.ferry.coordinator.store.ClusterStore;
import io.ferry.coordinator.store.ContainerRecord;
import io.ferry.coordinator.store.Versioned;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.DropReplicaRequest;
import io.ferry.proto.v1.ListReplicasRequest;
import io.ferry.proto.v1.PrepareReplicaRequest;
import io.ferry.proto.v1.ReplicaInfo;
import io.ferry.proto.v1.ReplicateOutRequest;
import io.ferry.proto.v1.ReplicationPass;
import java.time.Clock;
import java.time.Duration;
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
 * The leader's care of high-availability containers, checked every second:
 *
 * <ul>
 *   <li><b>failover</b>: an HA container meant to run whose host has been offline (its ZooKeeper
 *       session expired, so its agent fenced it) for {@code failoverMargin} is restarted on its
 *       standby ({@link OperationRunner#failOver}, operation kind FAILOVER);
 *   <li><b>a new standby</b>: when the standby is offline while the host runs, placement picks
 *       another host (no replica there yet; the next pass is a full one);
 *   <li><b>replication</b>, below;
 *   <li><b>stale replicas</b>: every {@code interval}, each online host's replicas that no HA
 *       container names it the standby of any more (deleted, moved to another standby) are dropped.
 * </ul>
 *
 * <p>Replication keeps the standby replicas fresh: every
 * {@code interval}, for each HA container meant to run whose host and standby are both online and
 * which no operation is working on, the standby is told to hold a replica ({@code PrepareReplica},
 * idempotent) and the host sends it a pass ({@code ReplicateOut}: the whole writable layer the
 * first time, then what changed). The pass's time, as the standby recorded it, becomes the
 * container's replica time: what a failover would lose is the time since.
 *
 * <p>A failed pass changes nothing (the standby keeps its previous complete pass) and is tried
 * again at the next interval. Passes run two at a time on their own threads; one container never
 * has two passes at once. A new leader starts counting the interval from the replica time the
 * records hold.
 */
public final class HaDuties implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(HaDuties.class);
  private static final Duration TICK = Duration.ofSeconds(1);
  /** A failover that failed (no complete replica yet, no room) is tried again after this. */
  private static final Duration FAILOVER_RETRY = Duration.ofSeconds(10);

  private final ClusterStore store;
  private final HostDirectory hosts;
  private final OperationRunner runner;
  private final Placer placer = new Placer();
  private final Duration failoverMargin;
  private final Map<String, Long> offlineSinceMillis = new ConcurrentHashMap<>();
  private final Map<String, Long> failoverTriedMillis = new ConcurrentHashMap<>();
  private volatile long lastSweepMillis;
  private final Membership membership;
  private final Leadership leadership;
  private final AgentClients agents;
  private final Clock clock;
  private final Duration interval;
  private final Duration passTimeout;
  private final ScheduledExecutorService timer;
  private final ExecutorService passes;
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
  private final Map<String, Long> lastAttemptMillis = new ConcurrentHashMap<>();

  /**
   * @param interval how often each HA container's replica is refreshed
   * @param passTimeout how long one pass may take (a first pass of a large container is long)
   * @param failoverMargin how long after its host went offline an HA container is restarted on its
   *     standby (on top of the session timeout that made the host offline)
   */
  public HaDuties(
      ClusterStore store, HostDirectory hosts, OperationRunner runner, Membership membership, Leadership leadership, AgentClients agents,
      Clock clock, Duration interval, Duration passTimeout, Duration failoverMargin) {
    this.store = store;
    this.hosts = hosts;
    this.runner = runner;
    this.failoverMargin = failoverMargin;
    this.membership = membership;
    this.leadership = leadership;
    this.agents = agents;
    this.clock = clock;
    this.interval = interval;
    this.passTimeout = passTimeout;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "ha-replication"));
    this.passes = Executors.newFixedThreadPool(2, r -> daemon(r, "ha-pass"));
  }

  public HaDuties start() {
    timer.scheduleWithFixedDelay(this::round, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /** Fails over, re-places standbys and starts the passes that are due; never throws (the next round tries again). */
  private void round() {
    if (!leadership.isLeader()) {
      offlineSinceMillis.clear();
      return;
    }
    try {
      long now = clock.millis();
      Set<String> online = new java.util.HashSet<>();
      for (HostMember member : membership.hosts()) {
        if (member.live()) {
          online.add(member.name());
          offlineSinceMillis.remove(member.name());
        } else {
          offlineSinceMillis.putIfAbsent(member.name(), now);
        }
      }
      for (Versioned<ContainerRecord> v : store.containers()) {
        ContainerRecord record = v.value();
        Optional<ContainerRecord.HaState> ha = record.haState();
        if (ha.isEmpty() || record.desired() != ContainerRecord.Desired.RUNNING || !record.operationId().isEmpty()) {
          continue;
        }
        if (!online.contains(record.host())) {
          long since = offlineSinceMillis.getOrDefault(record.host(), now);
          long lastTry = failoverTriedMillis.getOrDefault(record.name(), 0L);
          if (now - since >= failoverMargin.toMillis() && online.contains(ha.get().standbyHost()) && now - lastTry >= FAILOVER_RETRY.toMillis()) {
            failoverTriedMillis.put(record.name(), now);
            runner.failOver(record).ifPresent(op ->
                log.warn("host {} of HA container {} is gone: failing over to {} ({})", record.host(), record.name(), ha.get().standbyHost(), op.id()));
          }
          continue;
        }
        if (!online.contains(ha.get().standbyHost())) {
          replaceStandby(v, online);
          continue;
        }
        if (inFlight.contains(record.name())) {
          continue;
        }
        long last = Math.max(ha.get().replicaAtMillis(), lastAttemptMillis.getOrDefault(record.name(), 0L));
        if (now - last < interval.toMillis()) {
          continue;
        }
        String name = record.name();
        inFlight.add(name);
        lastAttemptMillis.put(name, now);
        passes.execute(() -> {
          try {
            replicate(name);
          } finally {
            inFlight.remove(name);
          }
        });
      }
      if (now - lastSweepMillis >= interval.toMillis()) {
        lastSweepMillis = now;
        online.forEach(host -> passes.execute(() -> dropStaleReplicas(host)));
      }
      lastAttemptMillis.keySet().removeIf(name -> store.container(name).isEmpty());
      failoverTriedMillis.keySet().removeIf(name -> store.container(name).isEmpty());
    } catch (RuntimeException e) {
      log.warn("HA round failed: {}", e.toString());
    }
  }

  /**
   * Gives an HA container whose standby is offline a new one: placement's choice among the online
   * hosts other than its own, as at launch. None fits: it keeps the old one and says so.
   */
  private void replaceStandby(Versioned<ContainerRecord> v, Set<String> online) {
    ContainerRecord record = v.value();
    ContainerRecord.HaState ha = record.haState().orElseThrow();
    String image;
    try {
      image = ContainerSpec.parseFrom(record.spec()).getImage();
    } catch (InvalidProtocolBufferException e) {
      return;
    }
    List<HostState> candidates =
        hosts.snapshot().hosts().stream().filter(h -> online.contains(h.name()) && !h.name().equals(record.host())).toList();
    PlacementRequest request = new PlacementRequest(record.name(), record.reserved(), record.requiredLabels(),
        record.antiAffinityGroup().isEmpty() ? Optional.empty() : Optional.of(record.antiAffinityGroup()),
        Optional.of(image), Optional.empty(), Strategy.SPREAD, false);
    PlacementDecision decision = placer.choose(new ClusterSnapshot(candidates), request);
    if (!(decision instanceof PlacementDecision.Placed placed)) {
      log.debug("HA container {}: standby {} is offline and no other host fits", record.name(), ha.standbyHost());
      return;
    }
    try {
      store.updateContainer(record.withHa(ha.movedTo(placed.host()), clock.millis()), v.version());
      lastAttemptMillis.remove(record.name());
      log.info("HA container {}: standby {} is offline; the new standby is {}", record.name(), ha.standbyHost(), placed.host());
    } catch (ClusterStore.ConflictException e) {
      // Changed meanwhile: the next round looks again.
    }
  }

  /** Drops the replicas {@code host} keeps for no HA container (best effort: the next sweep retries). */
  private void dropStaleReplicas(String host) {
    try {
      for (ReplicaInfo replica : agents.migration(host, agents.callTimeout()).listReplicas(ListReplicasRequest.getDefaultInstance()).getReplicasList()) {
        String name = replica.getContainer();
        boolean wanted = store.container(name).map(Versioned::value)
            .flatMap(ContainerRecord::haState).map(ha -> ha.standbyHost().equals(host)).orElse(false);
        if (!wanted) {
          agents.migration(host, agents.callTimeout()).dropReplica(DropReplicaRequest.newBuilder().setName(name).build());
          log.info("dropped the stale replica of {} on host {}", name, host);
        }
      }
    } catch (RuntimeException e) {
      log.debug("cannot sweep the replicas of host {}: {}", host, e.toString());
    }
  }

  /** One pass of {@code name}'s replica; records its time. A failure is logged only. */
  private void replicate(String name) {
    Optional<Versioned<ContainerRecord>> current = store.container(name);
    if (current.isEmpty() || current.get().value().haState().isEmpty()) {
      return;
    }
    ContainerRecord record = current.get().value();
    ContainerRecord.HaState ha = record.haState().get();
    try {
      ContainerSpec spec = ContainerSpec.parseFrom(record.spec());
      String digest = record.observed().length == 0 ? "" : Container.parseFrom(record.observed()).getImageDigest();
      if (digest.isEmpty()) {
        return; // Not yet reported by its host: the next round.
      }
      agents.migration(ha.standbyHost(), agents.callTimeout()).prepareReplica(PrepareReplicaRequest.newBuilder()
          .setSpec(spec)
          .setImageDigest(digest)
          .setSourceHost(record.host())
          .setSourceAddress(agents.address(record.host()))
          .setToken(ha.token())
          .build());
      ReplicationPass pass = agents.migration(record.host(), passTimeout).replicateOut(ReplicateOutRequest.newBuilder()
          .setName(name)
          .setStandbyHost(ha.standbyHost())
          .setStandbyAddress(agents.address(ha.standbyHost()))
          .setToken(ha.token())
          .build());
      long at = pass.getReplicatedAt().getSeconds() * 1000 + pass.getReplicatedAt().getNanos() / 1_000_000;
      record(name, ha, at, pass.getBytes());
      log.debug("replica of {} on {}: {} pass, {} bytes, {} files", name, ha.standbyHost(), pass.getFull() ? "full" : "delta",
          pass.getBytes(), pass.getFiles());
    } catch (InvalidProtocolBufferException e) {
      log.error("the record of {} holds an unreadable spec or state: {}", name, e.getMessage());
    } catch (RuntimeException e) {
      log.warn("replica of {} on {} not refreshed: {}", name, ha.standbyHost(), e.toString());
    }
  }

  /** Writes the pass's time into the record, unless the container moved or got another standby meanwhile. */
  private void record(String name, ContainerRecord.HaState passedTo, long atMillis, long bytes) {
    for (int attempt = 0; attempt < 3; attempt++) {
      Optional<Versioned<ContainerRecord>> current = store.container(name);
      if (current.isEmpty()) {
        return;
      }
      ContainerRecord record = current.get().value();
      Optional<ContainerRecord.HaState> ha = record.haState();
      if (ha.isEmpty() || !ha.get().standbyHost().equals(passedTo.standbyHost()) || !ha.get().token().equals(passedTo.token())) {
        return;
      }
      try {
        store.updateContainer(record.withHa(ha.get().withReplica(atMillis, bytes), clock.millis()), current.get().version());
        return;
      } catch (ClusterStore.ConflictException e) {
        // Its observed state changed meanwhile: read it again.
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    passes.shutdownNow();
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
