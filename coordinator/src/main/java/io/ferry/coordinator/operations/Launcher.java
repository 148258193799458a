package io.ferry.coordinator.operations;

import io.ferry.coordinator.CoordinatorException;
import io.ferry.coordinator.CoordinatorException.Kind;
import io.ferry.coordinator.hosts.HostDirectory;
import io.ferry.coordinator.metrics.CoordinatorMetrics;
import io.ferry.coordinator.placement.HostState;
import io.ferry.coordinator.placement.HostVerdict;
import io.ferry.coordinator.placement.PlacementDecision;
import io.ferry.coordinator.placement.PlacementRequest;
import io.ferry.coordinator.placement.Placer;
import io.ferry.coordinator.placement.Resources;
import io.ferry.coordinator.store.AddressSource;
import io.ferry.coordinator.store.ClusterStore;
import io.ferry.coordinator.store.ContainerRecord;
import io.ferry.coordinator.store.OperationRecord;
import io.ferry.coordinator.store.Reservations;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Places new containers: decides with {@link Placer} on the hosts as {@link HostDirectory} sees
 * them now, then records the placement, the reservation, the container's record with its cluster
 * address (and the address's unique index node) and its launch operation in one ZooKeeper write
 * ({@link ClusterStore#launch(ContainerRecord, OperationRecord, AddressSource)}). A launch's
 * decision explains the chosen host only
 * ({@link Placer#choose}); a dry run explains every host ({@link Placer#place}).
 *
 * <p>Concurrent launches see each other's decisions before they are written (an in-memory overlay
 * of reservations in flight), so a burst spreads over hosts instead of racing for the best one.
 * The ZooKeeper write stays the arbiter: if another writer took the room meanwhile, the launch
 * decides again, at most {@link #MAX_DECISIONS} times.
 *
 * <p>Thread-safe. Failure modes: {@link CoordinatorException} ALREADY_EXISTS (name taken),
 * RESOURCE_EXHAUSTED with a reason per host (nothing fits) or for the cluster network (no free
 * address), StoreUnavailableException.
 */
public final class Launcher {

  private static final Logger log = LoggerFactory.getLogger(Launcher.class);
  private static final int MAX_DECISIONS = 8;

  private final ClusterStore store;
  private final HostDirectory hosts;
  private final Placer placer = new Placer();
  private final Clock clock;
  private final CoordinatorMetrics metrics;
  private final AddressSource addresses;
  private final Map<String, Resources> inFlight = new ConcurrentHashMap<>();
  private final Map<String, Integer> inFlightCount = new ConcurrentHashMap<>();

  /** A launch that was placed and recorded. */
  public record Launched(String host, PlacementDecision decision, OperationRecord operation) {}

  public Launcher(ClusterStore store, HostDirectory hosts, Clock clock, CoordinatorMetrics metrics, AddressSource addresses) {
    this.addresses = addresses;
    this.store = store;
    this.hosts = hosts;
    this.clock = clock;
    this.metrics = metrics;
  }

  /** Explains where {@code request} would go, reserving nothing. */
  public PlacementDecision dryRun(PlacementRequest request) {
    return placer.place(hosts.snapshot(), request);
  }

  /** Places and records a launch of a container that is not HA. */
  public Launched launch(PlacementRequest request, byte[] spec) {
    return launch(request, spec, false);
  }

  /**
   * Places and records a launch.
   *
   * @param spec the serialized {@code ContainerSpec} the agent will receive
   * @param ha a high-availability container: a standby host is chosen too, by the same placement
   *     among the other hosts (room for the container there now; nothing reserved)
   * @throws CoordinatorException FAILED_PRECONDITION when an HA container has no host for its
   *     standby besides the one chosen
   */
  public Launched launch(PlacementRequest request, byte[] spec, boolean ha) {
    String name = request.containerName();
    if (store.container(name).isPresent()) {
      throw new CoordinatorException(Kind.ALREADY_EXISTS, "container " + name + " already exists");
    }
    String lastReason = "";
    for (int attempt = 0; attempt < MAX_DECISIONS; attempt++) {
      PlacementDecision decision = placer.choose(withInFlight(hosts.states()), request);
      if (!(decision instanceof PlacementDecision.Placed placed)) {
        metrics.placement(CoordinatorMetrics.Placement.REFUSED);
        throw new CoordinatorException(Kind.RESOURCE_EXHAUSTED, "no host can run " + name + ": " + reasons(decision.verdicts()));
      }
      String host = placed.host();
      ContainerRecord.HaState standby = ha ? ContainerRecord.HaState.standbyOn(standbyFor(request, host)) : null;
      long now = clock.millis();
      OperationRecord operation =
          OperationRecord.started(OperationIds.next(clock), OperationRecord.Kind.LAUNCH, name, "placed on " + host, Map.of(), now);
      ContainerRecord record =
          new ContainerRecord(
              name,
              host,
              spec,
              request.resources(),
              request.requiredLabels(),
              request.antiAffinityGroup().orElse(""),
              ContainerRecord.Desired.RUNNING,
              new byte[0],
              operation.id(),
              now,
              now,
              null,
              standby);
      hold(host, request.resources());
      ClusterStore.Launch launch;
      try {
        launch = store.launch(record, operation, addresses);
      } finally {
        release(host, request.resources());
      }
      Reservations.Outcome outcome = launch.outcome();
      if (outcome instanceof Reservations.Outcome.Reserved) {
        log.info("placed container {} on host {} with address {} (operation {})", name, host, launch.record().network().address(), operation.id());
        metrics.placement(CoordinatorMetrics.Placement.PLACED);
        return new Launched(host, decision, operation);
      }
      if (outcome instanceof Reservations.Outcome.AlreadyPlaced) {
        throw new CoordinatorException(Kind.ALREADY_EXISTS, "container " + name + " already exists");
      }
      lastReason = ((Reservations.Outcome.Insufficient) outcome).reason();
      metrics.placement(CoordinatorMetrics.Placement.RETRIED);
      log.debug("launch of {} lost host {} to a concurrent launch: {}", name, host, lastReason);
    }
    throw new CoordinatorException(Kind.RESOURCE_EXHAUSTED, "no host could take " + name + " after " + MAX_DECISIONS + " tries; last: " + lastReason);
  }

  /**
   * The standby of an HA container placed on {@code primary}: placement's choice among the other
   * hosts, ignoring a target host (that pins the primary only) and image availability (the
   * replica brings the rootfs; the image is fetched by digest).
   */
  private String standbyFor(PlacementRequest request, String primary) {
    List<HostState> others = hosts.states().stream().filter(h -> !h.name().equals(primary)).toList();
    PlacementRequest anywhere = new PlacementRequest(request.containerName(), request.resources(), request.requiredLabels(),
        request.antiAffinityGroup(), request.image(), Optional.empty(), request.strategy(), false);
    PlacementDecision decision = placer.choose(withInFlight(others), anywhere);
    if (decision instanceof PlacementDecision.Placed standby) {
      return standby.host();
    }
    throw new CoordinatorException(Kind.FAILED_PRECONDITION, "HA container " + request.containerName()
        + " needs a standby host besides " + primary + ": " + reasons(decision.verdicts()));
  }

  /** {@code hosts} with the launches being written counted in (see the class comment). */
  private Collection<HostState> withInFlight(Collection<HostState> hosts) {
    if (inFlight.isEmpty()) {
      return hosts;
    }
    List<HostState> adjusted = new ArrayList<>(hosts.size());
    for (HostState h : hosts) {
      Resources pending = inFlight.get(h.name());
      adjusted.add(
          pending == null
              ? h
              : new HostState(h.name(), h.status(), h.capacity(), h.allocated().plus(pending), h.labels(), h.images(), h.antiAffinityGroups(), h.containerCount() + inFlightCount.getOrDefault(h.name(), 0), h.unplaceable()));
    }
    return adjusted;
  }

  private void hold(String host, Resources need) {
    inFlight.merge(host, need, Resources::plus);
    inFlightCount.merge(host, 1, Integer::sum);
  }

  private void release(String host, Resources need) {
    inFlight.computeIfPresent(host, (h, r) -> {
      Resources left = r.minusSaturating(need);
      return left.equals(Resources.ZERO) ? null : left;
    });
    inFlightCount.computeIfPresent(host, (h, n) -> n <= 1 ? null : n - 1);
  }

  /** "host-1: needs 2.0 cpus, 1.0 free; host-2: offline". */
  static String reasons(List<HostVerdict> verdicts) {
    if (verdicts.isEmpty()) {
      return "the cluster has no hosts";
    }
    return verdicts.stream().map(HostVerdict::reason).collect(Collectors.joining("; "));
  }
}
