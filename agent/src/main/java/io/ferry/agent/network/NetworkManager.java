package io.ferry.agent.network;

import io.ferry.agent.AgentException;
import io.ferry.common.Names;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's container networking: one bridge per host holding the subnet's gateway, and per
 * container a network namespace ({@code /run/netns/<prefix><name>}, which the runtime joins), a
 * veth pair from the bridge to the container's {@code eth0}, an address and MAC leased by the
 * {@link AddressAllocator}, and a default route via the gateway.
 *
 * <p>With the overlay on ({@link OverlayConfig}), the bridge also holds a VXLAN device that joins it
 * to the other hosts' bridges, all serving one cluster subnet with one anycast gateway (same
 * address, same MAC everywhere); {@link #syncOverlayPeers} keeps its flood list equal to the other
 * hosts' underlay addresses, and {@link #announce} has a container send a gratuitous ARP, so the
 * other hosts learn at once where its MAC now is (the container lifecycle announces every new
 * container; a migration announces the container once restored).
 *
 * <p>Lifecycle: {@link #ensureBridge()} once at agent start, {@link #reconcile()} after it to drop
 * leftovers of a crash, {@link #attachments()} to find what the containers had; then {@link
 * #attach} before a container is created (or recovered, or migrated in) and {@link #detach} after
 * it is deleted (or migrated away). Attach and detach are idempotent and safe to repeat after a
 * crash at any point.
 *
 * <p>For a migration: the target {@link #attachIsolated attaches} the container with the identity
 * it keeps and its host link down; the source takes its copy off the network with {@link
 * #setHostLinkUp setHostLinkUp(name, false)} once frozen (its kernel then neither answers nor
 * acknowledges anything); after the restore, the target sets its link up and calls {@link
 * #announce}, so the other hosts send its traffic there at once. A rollback brings the source's
 * link up again and announces it.
 *
 * <p>Failure: a failed attach undoes what it created (netns, veth, a new lease) before it throws,
 * so nothing leaks; parts that existed before the call (a half-made attachment being repaired) are
 * left for the next attach, detach or reconcile. Errors are {@link AgentException}s; those of
 * {@code ip} carry its stderr.
 *
 * <p>Threading: thread-safe. Operations on one container are serialised (striped locks); different
 * containers proceed in parallel; {@link #ensureBridge()} and {@link #reconcile()} exclude all
 * others, so reconcile never sees an attachment half-made by a concurrent attach.
 */
public final class NetworkManager {

  private static final Logger log = LoggerFactory.getLogger(NetworkManager.class);
  private static final int STRIPES = 64;
  /** How long {@link #announce} waits for the container's bridge port to forward. */
  static final java.time.Duration PORT_READY_TIMEOUT = java.time.Duration.ofSeconds(2);
  private static final long PORT_POLL_MILLIS = 5;

  private final NetworkConfig config;
  private final AddressAllocator allocator;
  private final IpCommands ip;
  private final Firewall firewall;
  private final NamingScheme names;
  private final ContainerPlumbing plumbing;
  private final Overlay overlay;
  private final Lock overlayLock = new ReentrantLock();
  private final ReentrantReadWriteLock hostLock = new ReentrantReadWriteLock();
  private final Lock[] containerLocks = new Lock[STRIPES];

  public NetworkManager(NetworkConfig config, AddressAllocator allocator, IpCommands ip, Firewall firewall) {
    if (!allocator.subnet().equals(config.subnet())) {
      throw new IllegalArgumentException("allocator subnet " + allocator.subnet() + " is not " + config.subnet());
    }
    this.config = config;
    this.allocator = allocator;
    this.ip = ip;
    this.firewall = firewall;
    this.names = new NamingScheme(config.namespacePrefix());
    this.plumbing = new ContainerPlumbing(config, names, ip);
    this.overlay = new Overlay(config, ip);
    for (int i = 0; i < STRIPES; i++) {
      containerLocks[i] = new ReentrantLock();
    }
  }

  /**
   * The production wiring: {@code ip} and {@code iptables} run directly, leases in {@code
   * <stateDir>/network/leases.json}.
   */
  public static NetworkManager open(NetworkConfig config, Path stateDir, Clock clock) {
    return new NetworkManager(
        config,
        AddressAllocator.open(stateDir, config.subnet(), clock),
        new IpRoute2Commands(List.of(), config.commandTimeout(), config.busybox()),
        new IptablesFirewall(List.of(), config.commandTimeout()));
  }

  public NetworkConfig config() {
    return config;
  }

  public AddressAllocator allocator() {
    return allocator;
  }

  /**
   * Sets up the host side, idempotently: creates the bridge if missing (with a MAC derived from
   * the bridge name and subnet, so the gateway's MAC is the same on every host with the same
   * configuration and does not change as ports come and go), assigns the gateway address, sets the
   * MTU and brings it up; with iptables enabled, makes sure the FORWARD rule for the bridge exists
   * and warns when INPUT does not let containers reach the gateway. With the overlay on, makes sure
   * of the VXLAN device on the bridge (see {@link Overlay#ensureDevice}) and turns IPv6 off on the
   * bridge, so the gateway (whose MAC every host shares) sends nothing of its own into the overlay;
   * with it off, removes a VXLAN device of the configured name from the bridge. With the overlay
   * and iptables on, keeps the gateway's own frames off the overlay ({@link
   * Firewall#isolateGateway}). Touches no other interface; an extra address on the bridge is left in place (and logged).
   *
   * @throws AgentException FAILED_PRECONDITION when an interface of the bridge's (or the VXLAN
   *     device's) name exists and is of another kind; INTERNAL or TIMEOUT from {@code ip} or {@code
   *     iptables}
   */
  public void ensureBridge() {
    exclusive(() -> {
      String bridge = config.bridgeName();
      Optional<LinkState> found = ip.link(NetScope.AGENT, bridge);
      if (found.isEmpty()) {
        ip.addBridge(bridge, config.mtu(), bridgeMac());
        log.info("created bridge {} for subnet {}", bridge, config.subnet());
      } else if (!found.get().isBridge()) {
        throw AgentException.precondition(
            "interface " + bridge + " exists and is a '" + found.get().kind() + "', not a bridge; set "
                + NetworkConfig.KEY_BRIDGE + " to another name");
      } else if (found.get().mtu() != config.mtu()) {
        ip.setMtu(NetScope.AGENT, bridge, config.mtu());
      }
      LinkState.InterfaceAddress gateway =
          new LinkState.InterfaceAddress(config.gateway(), config.subnet().prefixLength());
      List<LinkState.InterfaceAddress> present = found.map(LinkState::addresses).orElse(List.of());
      if (!present.contains(gateway)) {
        ip.addAddress(NetScope.AGENT, bridge, config.gateway(), config.subnet().prefixLength());
      }
      present.stream()
          .filter(a -> !a.equals(gateway))
          .forEach(a -> log.warn("bridge {} also has address {}, which Ferry did not assign; left in place", bridge, a));
      if (found.isEmpty() || !found.get().up()) {
        ip.setUp(NetScope.AGENT, bridge);
      }
      if (config.iptablesEnabled()) {
        if (firewall.allowForwarding(bridge)) {
          log.info("added iptables rule: FORWARD -i {} -o {} -j ACCEPT", bridge, bridge);
        }
        if (!firewall.inputAllowed(bridge)) {
          log.warn(
              "iptables INPUT may drop traffic from bridge {} to the host: containers may not reach their gateway {};"
                  + " allow it with: iptables -I INPUT -i {} -j ACCEPT",
              bridge, config.gateway(), bridge);
        }
      }
      if (config.overlay().enabled()) {
        try {
          ip.setSysctl(NetScope.AGENT, "net.ipv6.conf." + bridge + ".disable_ipv6", "1");
        } catch (AgentException e) {
          log.warn("cannot turn IPv6 off on bridge {} (the gateway may send IPv6 into the overlay): {}", bridge, e.getMessage());
        }
      }
      overlayLock.lock();
      try {
        overlay.ensureDevice();
      } finally {
        overlayLock.unlock();
      }
      if (config.overlay().enabled() && config.iptablesEnabled()) {
        int added = firewall.isolateGateway(config.overlay().device(), config.gateway(), bridgeMac());
        if (added > 0) {
          log.info("added {} ebtables rules keeping gateway {} ({}) off overlay {}", added, config.gateway(), bridgeMac(), config.overlay().device());
        }
      }
      log.info("bridge {} ready with gateway {}/{}{}", bridge, config.gateway(), config.subnet().prefixLength(),
          config.overlay().enabled() ? " and overlay " + config.overlay().device() + " (vni " + config.overlay().vni() + ")" : "");
      return null;
    });
  }

  /**
   * Makes the overlay's flood list exactly {@code peers}, the underlay addresses of the other hosts
   * (this host's own address is left out if given): broadcast and unknown-unicast frames go to each.
   * Idempotent; called at start and on every membership change, with the full set each time.
   *
   * <p>Threading: serialised with other calls of it and with {@link #ensureBridge()}; does not wait
   * for container operations.
   *
   * @return what changed
   * @throws AgentException FAILED_PRECONDITION when the overlay is off or its device is missing;
   *     INTERNAL or TIMEOUT from {@code bridge} (after every other entry was tried)
   */
  public PeerChanges syncOverlayPeers(Collection<Ipv4Address> peers) {
    hostLock.readLock().lock();
    try {
      overlayLock.lock();
      try {
        return overlay.syncPeers(peers);
      } finally {
        overlayLock.unlock();
      }
    } finally {
      hostLock.readLock().unlock();
    }
  }

  /**
   * Announces the container where it is now: one gratuitous ARP for its address from its {@code
   * eth0}, which the overlay floods to every host, so the others' forwarding tables point at this
   * host at once (the MAC goes with the address, so ARP caches stay right). Without it, hosts that
   * talked to a container that had this address and MAC elsewhere keep sending there until their
   * VXLAN forwarding entry ages out (300 s), unless the container sends something first.
   *
   * <p>Attach does not announce: a migration's target attaches before it restores, and must not
   * draw traffic before the container runs there. Call this once the container should receive
   * traffic here: after creating a new one (the lifecycle does), after a CRIU restore, after {@link
   * #setHostLinkUp} brought its link back. Waits (at most {@link #PORT_READY_TIMEOUT}) for the
   * bridge to forward on the container's port: the kernel enables a port asynchronously after its
   * link comes up, and drops what arrives before. Takes a few milliseconds; safe to repeat.
   *
   * @throws AgentException FAILED_PRECONDITION when the container has no network here or its host
   *     link is down; INTERNAL or TIMEOUT from {@code arping}
   */
  public void announce(String container) {
    shared(container, () -> {
      Lease lease = requireAttached(container);
      String hostIf = names.hostInterface(container);
      Optional<LinkState> host = ip.link(NetScope.AGENT, hostIf);
      if (host.isEmpty() || !host.get().up()) {
        throw AgentException.precondition(
            "container " + container + ": its host link " + hostIf + " is " + (host.isEmpty() ? "missing" : "down")
                + "; nothing it sends leaves the host");
      }
      awaitForwarding(container, hostIf);
      ip.announce(NetScope.of(names.namespace(container)), NamingScheme.CONTAINER_INTERFACE, lease.address());
      log.atInfo().addKeyValue("container", container).addKeyValue("op", "announce")
          .log("announced container {} at {} ({})", container, lease.address(), lease.mac());
      return null;
    });
  }

  /** Polls the port's bridge state until it forwards; past the timeout, logs and goes on. */
  private void awaitForwarding(String container, String hostIf) {
    long deadline = System.nanoTime() + PORT_READY_TIMEOUT.toNanos();
    Optional<String> state = ip.bridgePortState(hostIf);
    while (!state.equals(Optional.of("forwarding"))) {
      if (System.nanoTime() > deadline) {
        log.atWarn().addKeyValue("container", container)
            .log("port {} of container {} is {} after {} ms, not forwarding: announcing anyway", hostIf, container,
                state.orElse("off the bridge"), PORT_READY_TIMEOUT.toMillis());
        return;
      }
      try {
        Thread.sleep(PORT_POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw AgentException.internal("interrupted waiting for port " + hostIf + " to forward", e);
      }
      state = ip.bridgePortState(hostIf);
    }
  }

  /**
   * Announces a container just created here, when the overlay is on ({@link #announce}); a failure
   * is logged, not thrown: the container works, the other hosts learn where it is from its own
   * traffic instead.
   */
  public void announceNew(String container) {
    if (!config.overlay().enabled()) {
      return;
    }
    try {
      announce(container);
    } catch (AgentException e) {
      log.atWarn().addKeyValue("container", container).log("cannot announce new container {}: {}", container, e.getMessage());
    }
  }

  /**
   * {@link #announceNew} on a thread of its own, for a caller that must not wait for it: a
   * migrated container is resumed first, and its announcement (which waits up to {@code
   * PORT_READY_TIMEOUT} for its bridge port to forward) must not count as downtime.
   */
  public void announceNewInBackground(String container) {
    if (!config.overlay().enabled()) {
      return;
    }
    Thread t = new Thread(() -> announceNew(container), "announce-" + container);
    t.setDaemon(true);
    t.start();
  }

  /**
   * Sets the host end of the container's veth up (enslaved to the bridge) or down. Down cuts the
   * container off the network without touching it: its {@code eth0} loses its carrier but keeps its
   * address and routes, and nothing it sends or would answer leaves the host; a live migration
   * downs the source's link once the container is frozen, so its kernel stops acknowledging TCP
   * while the target takes over. Up reconnects it (then {@link #announce} it). Idempotent.
   *
   * <p>Note: {@link #attach} repairs a down host end as a broken attachment and brings it up.
   *
   * @throws AgentException FAILED_PRECONDITION when the container has no network here; INTERNAL or
   *     TIMEOUT from {@code ip}
   */
  public void setHostLinkUp(String container, boolean up) {
    shared(container, () -> {
      if (allocator.lease(container).isEmpty()) {
        throw AgentException.precondition("container " + container + " has no network on this host");
      }
      String hostIf = names.hostInterface(container);
      // One `ip` call: this runs inside a migration's frozen window. The checks that explain a
      // failure (namespace, interface) run only after one.
      try {
        if (up) {
          ip.attachToBridge(hostIf, config.bridgeName());
        } else {
          ip.setDown(NetScope.AGENT, hostIf);
        }
      } catch (AgentException e) {
        requireAttached(container);
        if (ip.link(NetScope.AGENT, hostIf).isEmpty()) {
          throw AgentException.precondition("container " + container + " has no host interface " + hostIf + "; attach it first");
        }
        throw e;
      }
      log.atInfo().addKeyValue("container", container).addKeyValue("op", up ? "link-up" : "link-down")
          .log("host link {} of container {} is {}", hostIf, container, up ? "up" : "down");
      return null;
    });
  }


  private Lease requireAttached(String container) {
    Optional<Lease> lease = allocator.lease(container);
    if (lease.isEmpty() || !ip.namespaces().contains(names.namespace(container))) {
      throw AgentException.precondition("container " + container + " has no network on this host");
    }
    return lease.get();
  }

  /**
   * Gives {@code container} its network: leases it an address (its existing lease if it has one)
   * and plumbs its netns, veth, address, MAC and route. Idempotent: an intact attachment is
   * returned as it is, a half-made one is completed.
   *
   * @throws AgentException INVALID_ARGUMENT for a bad name; RESOURCE_EXHAUSTED when the subnet is
   *     full; FAILED_PRECONDITION when the bridge is missing; INTERNAL or TIMEOUT from {@code ip}
   *     (after undoing what this call created, the lease included if it was new)
   */
  public NetworkAttachment attach(String container) {
    return plumb(container, () -> allocator.allocate(container), true);
  }

  /**
   * As {@link #attach(String)}, with exactly this address and MAC: a container migrating in keeps
   * its network identity. Idempotent for the same container, address and MAC.
   *
   * @throws AgentException ALREADY_EXISTS naming the holder when another container holds the
   *     address or the MAC; FAILED_PRECONDITION when this container holds a different one; and as
   *     {@link #attach(String)}
   */
  public NetworkAttachment attach(String container, Ipv4Address address, MacAddress mac) {
    return plumb(container, () -> allocator.reserve(container, address, mac), true);
  }

  /**
   * As {@link #attach(String, Ipv4Address, MacAddress)}, with the host end of the veth left down
   * (an existing attachment's is set down): the container's netns, {@code eth0}, address and routes
   * are all in place, but nothing it sends reaches the bridge, so the other hosts do not learn of
   * it yet. For a migration's target before the restore; then {@link #setHostLinkUp
   * setHostLinkUp(name, true)} and {@link #announce}. A later {@link #attach} brings the link up.
   *
   * @throws AgentException as {@link #attach(String, Ipv4Address, MacAddress)}
   */
  public NetworkAttachment attachIsolated(String container, Ipv4Address address, MacAddress mac) {
    return plumb(container, () -> allocator.reserve(container, address, mac), false);
  }

  /**
   * Takes the container's network away: the host veth (and with it {@code eth0}), the netns name,
   * the host's neighbour entry for its address, then the lease. Call it after the container's
   * processes are gone: a netns a process still runs in lives on, unnamed and cut off from the
   * bridge. Idempotent: missing pieces are skipped.
   *
   * <p>The neighbour entry goes because the address is free for the next container here, which has
   * another MAC: while other ports keep the bridge up, the kernel would go on sending the address's
   * traffic to the old MAC for as long as the entry stays reachable (15-45 s after its last
   * confirmation), and a container that only listens never corrects it. A failure to drop it is
   * logged, not thrown: it delays reachability, it loses nothing.
   *
   * @return whether anything (plumbing or lease) existed
   * @throws AgentException INTERNAL or TIMEOUT from {@code ip}; the lease is then kept, so the
   *     call can be repeated
   */
  public boolean detach(String container) {
    return shared(container, () -> {
      boolean removed = plumbing.remove(container);
      allocator.lease(container).ifPresent(lease -> forgetNeighbour(container, lease.address()));
      removed |= allocator.release(container).isPresent();
      log.atInfo().addKeyValue("container", container).addKeyValue("op", "detach").log("detached container {}", container);
      return removed;
    });
  }

  private void forgetNeighbour(String container, Ipv4Address address) {
    try {
      ip.forgetNeighbour(config.bridgeName(), address);
    } catch (AgentException e) {
      log.atWarn().addKeyValue("container", container)
          .log("cannot drop the neighbour entry of {} on {}: {}", address, config.bridgeName(), e.getMessage());
    }
  }

  /** The container's attachment if it holds a lease and its netns exists (not checked further). */
  public Optional<NetworkAttachment> attachment(String container) {
    return shared(container, () -> {
      Optional<Lease> lease = allocator.lease(container);
      if (lease.isEmpty() || !ip.namespaces().contains(names.namespace(container))) {
        return Optional.empty();
      }
      return Optional.of(plumbing.describe(lease.get()));
    });
  }

  /**
   * The attachments that exist: leases whose netns exists, ordered by address. For recovery after
   * an agent restart; {@link #attach} on each checks and repairs the rest. A lease without a netns
   * is not listed (its container keeps the address; {@link AddressAllocator#leases()} lists it).
   */
  public List<NetworkAttachment> attachments() {
    hostLock.readLock().lock();
    try {
      Set<String> namespaces = new HashSet<>(ip.namespaces());
      List<NetworkAttachment> found = new ArrayList<>();
      for (Lease lease : allocator.leases()) {
        if (namespaces.contains(names.namespace(lease.container()))) {
          found.add(plumbing.describe(lease));
        }
      }
      return found;
    } finally {
      hostLock.readLock().unlock();
    }
  }

  /**
   * Removes this agent's network objects that no lease accounts for: netns named with this agent's
   * prefix, and {@code fv...} veths on this agent's bridge that belong to no lease. Leases without
   * plumbing are kept. Never touches other agents' namespaces (their prefix differs) or other
   * interfaces. Continues past single failures and reports them.
   */
  public ReconcileReport reconcile() {
    return exclusive(() -> new Reconciler(config, names, ip, plumbing).reconcile(allocator.leases()));
  }

  private NetworkAttachment plumb(String container, Supplier<Lease> leaseSource, boolean hostUp) {
    return shared(container, () -> {
      long started = System.nanoTime();
      Rollback rollback = new Rollback("attach " + container);
      try {
        boolean hadLease = allocator.lease(container).isPresent();
        Lease lease = leaseSource.get();
        if (!hadLease) {
          rollback.onFailure("lease of " + lease.address(), () -> allocator.release(container));
        }
        NetworkAttachment attachment = plumbing.ensure(lease, rollback, hostUp);
        rollback.commit();
        log.atInfo()
            .addKeyValue("container", container)
            .addKeyValue("op", "attach")
            .log(
                "attached container {}: {}/{} mac {} netns {} via {} in {} ms",
                container, attachment.address(), attachment.prefixLength(), attachment.mac(),
                attachment.namespace(), attachment.hostInterface(), (System.nanoTime() - started) / 1_000_000);
        return attachment;
      } catch (RuntimeException e) {
        rollback.undo(e);
        throw e;
      }
    });
  }

  private MacAddress bridgeMac() {
    return MacAddress.derive("ferry-bridge " + config.bridgeName() + " " + config.subnet());
  }

  private <T> T shared(String container, Supplier<T> work) {
    String problem = Names.problem("container", container);
    if (problem != null) {
      throw AgentException.invalid(problem);
    }
    Lock lock = containerLocks[Math.floorMod(container.hashCode(), STRIPES)];
    hostLock.readLock().lock();
    try {
      lock.lock();
      try {
        return work.get();
      } finally {
        lock.unlock();
      }
    } finally {
      hostLock.readLock().unlock();
    }
  }

  private <T> T exclusive(Supplier<T> work) {
    hostLock.writeLock().lock();
    try {
      return work.get();
    } finally {
      hostLock.writeLock().unlock();
    }
  }
}
