package io.ferry.coordinator.hosts;

import io.ferry.common.cluster.HostRegistration;
import io.ferry.coordinator.cluster.HostMember;
import io.ferry.coordinator.cluster.Membership;
import io.ferry.coordinator.network.ClusterNetwork;
import io.ferry.coordinator.placement.ClusterSnapshot;
import io.ferry.coordinator.placement.HostState;
import io.ferry.coordinator.placement.HostStatus;
import io.ferry.coordinator.placement.Resources;
import io.ferry.coordinator.store.ClusterStore;
import io.ferry.coordinator.store.Reservations.HostAllocation;
import io.ferry.coordinator.store.StoreListener;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The hosts as placement and the API see them: membership (address, capacity, labels, liveness)
 * joined with the allocation recorded in ZooKeeper and the images each holds.
 *
 * <p>A host whose registered container subnet is not the cluster's takes no containers (the
 * addresses the leader hands out would not be its bridge's), with that reason in its placement
 * verdict. A host that registers no subnet (an agent from before subnets were registered) is not
 * checked.
 *
 * <p>Keeps one {@link HostState} per host, rebuilt only when that host changes, so taking a {@link
 * ClusterSnapshot} of a thousand hosts costs a list copy rather than a thousand rebuilds.
 * Thread-safe: listeners run on the store's and membership's threads, readers on any.
 */
public final class HostDirectory implements StoreListener {

  /** One host with everything known about it. */
  public record HostView(HostMember member, HostStatus status, HostAllocation allocation) {
    public String name() {
      return member.name();
    }
  }

  private final Membership membership;
  private final ClusterStore store;
  private final HostImages images;
  private final ClusterNetwork network;
  private final Map<String, HostState> states = new ConcurrentHashMap<>();

  public HostDirectory(Membership membership, ClusterStore store, HostImages images, ClusterNetwork network) {
    this.network = network;
    this.membership = membership;
    this.store = store;
    this.images = images;
    store.addListener(this);
    images.addListener(this::rebuild);
    membership.addListener(members -> rebuildAll());
    rebuildAll();
  }

  /** Every host of the cluster, with its state for placement. */
  public ClusterSnapshot snapshot() {
    return new ClusterSnapshot(new ArrayList<>(states.values()));
  }

  /**
   * Every host's state for placement, as a live view (one entry per host name; weakly consistent
   * while hosts change): what a launch decides on without copying a thousand hosts first.
   */
  public Collection<HostState> states() {
    return Collections.unmodifiableCollection(states.values());
  }

  public List<HostView> hosts() {
    List<HostView> all = new ArrayList<>();
    for (HostMember member : membership.hosts()) {
      all.add(view(member));
    }
    all.sort(java.util.Comparator.comparing(HostView::name));
    return all;
  }

  /** True when some host of the cluster holds {@code imageRef}, as its agent last listed. */
  public boolean anyHolds(String imageRef) {
    for (HostMember member : membership.hosts()) {
      if (images.refs(member.name()).contains(imageRef)) {
        return true;
      }
    }
    return false;
  }

  public Optional<HostView> host(String name) {
    return membership.host(name).map(this::view);
  }

  /** The capacity a host offers, from its registration. */
  public static Resources capacity(HostRegistration registration) {
    return new Resources(registration.cpuMillis(), registration.memoryBytes(), registration.diskBytes());
  }

  @Override
  public void hostAllocationChanged(String host, HostAllocation before, HostAllocation after) {
    rebuild(host);
  }

  private HostView view(HostMember member) {
    Optional<HostAllocation> recorded = store.hostAllocation(member.name());
    HostAllocation allocation = recorded.orElse(new HostAllocation(capacity(member.registration()), Resources.ZERO, 0, Map.of()));
    return new HostView(member, status(member, recorded.isPresent(), allocation.containers()), allocation);
  }

  /**
   * Why a host cannot take containers beyond its status, in words; empty when nothing stands in
   * the way: its registered container subnet must be the cluster's.
   */
  public static String unplaceable(HostRegistration registration, ClusterNetwork network) {
    return registration.network()
        .filter(n -> !network.servedBy(n.subnet()))
        .map(n -> "network " + n.subnet() + " is not the cluster's " + network)
        .orElse("");
  }

  /**
   * Online when live, enabled, and known to reservations (the leader records a joining host at
   * once); a live host that takes no containers (an evacuation, or an operator, disabled it) is
   * EVACUATING while it still holds some and EVACUATED once it holds none; offline otherwise.
   */
  private static HostStatus status(HostMember member, boolean registered, int containers) {
    if (!member.live() || !registered) {
      return HostStatus.OFFLINE;
    }
    if (!member.enabled()) {
      return containers > 0 ? HostStatus.EVACUATING : HostStatus.EVACUATED;
    }
    return HostStatus.ONLINE;
  }

  private void rebuildAll() {
    List<HostMember> members = membership.hosts();
    java.util.Set<String> names = new java.util.HashSet<>();
    for (HostMember member : members) {
      names.add(member.name());
      states.put(member.name(), state(view(member)));
    }
    states.keySet().retainAll(names);
  }

  private void rebuild(String host) {
    Optional<HostMember> member = membership.host(host);
    if (member.isPresent()) {
      states.put(host, state(view(member.get())));
    } else {
      states.remove(host);
    }
  }

  private HostState state(HostView view) {
    HostRegistration registration = view.member().registration();
    HostAllocation allocation = view.allocation();
    return new HostState(
        view.name(),
        view.status(),
        capacity(registration),
        allocation.allocated(),
        registration.labels(),
        images.refs(view.name()),
        allocation.groups(),
        allocation.containers(),
        unplaceable(registration, network));
  }
}
