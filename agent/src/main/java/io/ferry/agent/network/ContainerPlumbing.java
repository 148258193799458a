package io.ferry.agent.network;

import io.ferry.agent.AgentException;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds, checks, repairs and removes one container's network plumbing: its netns, the veth pair
 * ({@code fv...} on the bridge, {@code eth0} inside), the address, MAC, MTU and default route.
 *
 * <p>{@link #ensure} is convergent: it reads what exists and changes only what differs from the
 * lease, so on an intact attachment it only reads (three {@code ip} queries) and a running
 * container's network is not disturbed; on a half-made one (a crash in the middle) it completes or
 * replaces the missing parts. What it creates, it registers in the caller's {@link Rollback}.
 *
 * <p>Not thread-safe per container: {@link NetworkManager} serialises operations on one container.
 */
final class ContainerPlumbing {

  private static final Logger log = LoggerFactory.getLogger(ContainerPlumbing.class);

  private final NetworkConfig config;
  private final NamingScheme names;
  private final IpCommands ip;

  ContainerPlumbing(NetworkConfig config, NamingScheme names, IpCommands ip) {
    this.config = config;
    this.names = names;
    this.ip = ip;
  }

  /** As {@link #ensure(Lease, Rollback, boolean)} with the host link up. */
  NetworkAttachment ensure(Lease lease, Rollback rollback) {
    return ensure(lease, rollback, true);
  }

  /**
   * Makes the container's plumbing match {@code lease}; the host end of the veth up when {@code
   * hostUp}, else enslaved but down (the container is plumbed and cut off).
   *
   * @throws AgentException FAILED_PRECONDITION when the bridge is missing ({@link
   *     NetworkManager#ensureBridge()} not run or the bridge deleted since); INTERNAL or TIMEOUT from
   *     {@code ip}. Whatever this call created is registered in {@code rollback}; the caller undoes
   *     it.
   */
  NetworkAttachment ensure(Lease lease, Rollback rollback, boolean hostUp) {
    String container = lease.container();
    String ns = names.namespace(container);
    String hostIf = names.hostInterface(container);
    NetScope inside = NetScope.of(ns);

    boolean freshNamespace = false;
    if (!ip.namespaces().contains(ns) && ip.link(NetScope.AGENT, hostIf).isEmpty()) {
      // Nothing of it exists (the usual create): make it all in two batches.
      rollback.onFailure("netns " + ns, () -> {
        deleteIfPresent(NetScope.AGENT, hostIf);
        if (ip.namespaces().contains(ns)) {
          ip.deleteNamespace(ns);
        }
      });
      try {
        ip.addNamespaceWithPair(ns, hostIf, NamingScheme.CONTAINER_INTERFACE, lease.mac(), config.mtu(), config.bridgeName(), hostUp);
      } catch (AgentException e) {
        requireBridge(e);
        throw e;
      }
      ip.configureFreshInterface(
          inside, NamingScheme.CONTAINER_INTERFACE, lease.address(), config.subnet().prefixLength(), config.gateway());
      return describe(lease);
    }
    if (!ip.namespaces().contains(ns)) {
      ip.addNamespace(ns);
      rollback.onFailure("netns " + ns, () -> ip.deleteNamespace(ns));
      freshNamespace = true;
    }
    Optional<LinkState> host = ip.link(NetScope.AGENT, hostIf);
    List<LinkState> insideLinks = freshNamespace ? List.of() : ip.links(inside);
    Optional<LinkState> eth0 = find(insideLinks, NamingScheme.CONTAINER_INTERFACE);
    Optional<LinkState> lo = find(insideLinks, NamingScheme.LOOPBACK);

    boolean freshPair = !paired(host, eth0);
    if (freshPair) {
      if (host.isPresent()) {
        log.atWarn().addKeyValue("container", container).log("replacing {}: its peer is not eth0 of {}", hostIf, ns);
        deleteIfPresent(NetScope.AGENT, hostIf);
      }
      if (eth0.isPresent()) {
        log.atWarn().addKeyValue("container", container).log("replacing eth0 of {}: not paired with {}", ns, hostIf);
        deleteIfPresent(inside, NamingScheme.CONTAINER_INTERFACE);
      }
      ip.addVethPair(hostIf, NamingScheme.CONTAINER_INTERFACE, lease.mac(), ns, config.mtu());
      rollback.onFailure("veth " + hostIf, () -> deleteIfPresent(NetScope.AGENT, hostIf));
    }

    // Host end: on the bridge and up. A fresh pair is down, unattached and has the MTU already.
    if (!freshPair && host.get().mtu() != config.mtu()) {
      ip.setMtu(NetScope.AGENT, hostIf, config.mtu());
    }
    if (hostUp && (freshPair || !host.get().master().equals(config.bridgeName()) || !host.get().up())) {
      attachToBridge(hostIf);
    } else if (!hostUp) {
      if (freshPair || !host.get().master().equals(config.bridgeName())) {
        enslave(hostIf);
      }
      if (!freshPair && host.get().up()) {
        ip.setDown(NetScope.AGENT, hostIf);
      }
    }

    // Container end: MTU and MAC (set at creation for a fresh pair), address, up; lo up; route.
    String eth = NamingScheme.CONTAINER_INTERFACE;
    if (freshPair) {
      ip.configureFreshInterface(inside, eth, lease.address(), config.subnet().prefixLength(), config.gateway());
      return describe(lease);
    }
    if (!freshPair && eth0.get().mtu() != config.mtu()) {
      ip.setMtu(inside, eth, config.mtu());
    }
    if (!freshPair && !eth0.get().mac().equals(lease.mac())) {
      ip.setMac(inside, eth, lease.mac());
    }
    List<LinkState.InterfaceAddress> wanted =
        List.of(new LinkState.InterfaceAddress(lease.address(), config.subnet().prefixLength()));
    if (freshPair || !eth0.get().addresses().equals(wanted)) {
      if (!freshPair && !eth0.get().addresses().isEmpty()) {
        ip.flushAddresses(inside, eth);
      }
      ip.addAddress(inside, eth, lease.address(), config.subnet().prefixLength());
    }
    if (freshPair || !eth0.get().up()) {
      ip.setUp(inside, eth);
    }
    if (lo.isEmpty() || !lo.get().up()) {
      ip.setUp(inside, NamingScheme.LOOPBACK);
    }
    // A new eth0 has no routes; an old one may have lost or changed its default route.
    if (freshPair || !ip.defaultGateway(inside).equals(Optional.of(config.gateway()))) {
      ip.replaceDefaultRoute(inside, config.gateway());
    }
    return describe(lease);
  }

  /**
   * Removes the container's host veth (which takes {@code eth0} with it) and then its netns; a
   * missing piece is skipped.
   *
   * @return whether anything was there
   */
  boolean remove(String container) {
    String ns = names.namespace(container);
    boolean removed = deleteIfPresent(NetScope.AGENT, names.hostInterface(container));
    if (ip.namespaces().contains(ns)) {
      ip.deleteNamespace(ns);
      removed = true;
    }
    return removed;
  }

  /** The attachment a lease stands for, whether or not it is plumbed. */
  NetworkAttachment describe(Lease lease) {
    String container = lease.container();
    return new NetworkAttachment(
        container,
        names.namespace(container),
        names.namespacePath(container),
        lease.address(),
        config.subnet().prefixLength(),
        config.gateway(),
        lease.mac(),
        names.hostInterface(container),
        config.mtu());
  }

  /**
   * Deletes an interface if it exists. Tolerates it vanishing in between (a netns that dies takes
   * its veths along asynchronously).
   *
   * @return whether it existed
   */
  boolean deleteIfPresent(NetScope scope, String name) {
    if (ip.link(scope, name).isEmpty()) {
      return false;
    }
    try {
      ip.deleteLink(scope, name);
    } catch (AgentException e) {
      if (ip.link(scope, name).isPresent()) {
        throw e;
      }
    }
    return true;
  }

  /** Enslaves, leaving the link down; the bridge is checked only when that fails. */
  private void enslave(String hostIf) {
    try {
      ip.enslave(hostIf, config.bridgeName());
    } catch (AgentException e) {
      requireBridge(e);
      throw e;
    }
  }

  /** Enslaves and sets up; the bridge is checked only when that fails, to keep attach short. */
  private void attachToBridge(String hostIf) {
    try {
      ip.attachToBridge(hostIf, config.bridgeName());
    } catch (AgentException e) {
      requireBridge(e);
      throw e;
    }
  }

  /** Turns a failure into FAILED_PRECONDITION when its cause is a missing bridge. */
  private void requireBridge(AgentException e) {
    Optional<LinkState> bridge = ip.link(NetScope.AGENT, config.bridgeName());
    if (bridge.isEmpty() || !bridge.get().isBridge()) {
      throw new AgentException(
          AgentException.Kind.FAILED_PRECONDITION,
          "bridge " + config.bridgeName() + " is missing (or is not a bridge): the agent sets it up at start"
              + " (ensureBridge)",
          e);
    }
  }

  /** Whether the host end and eth0 are the two ends of one veth pair. */
  private static boolean paired(Optional<LinkState> host, Optional<LinkState> eth0) {
    return host.isPresent()
        && eth0.isPresent()
        && host.get().isVeth()
        && eth0.get().isVeth()
        && host.get().peerIndex() == eth0.get().index()
        && eth0.get().peerIndex() == host.get().index();
  }

  private static Optional<LinkState> find(List<LinkState> links, String name) {
    return links.stream().filter(l -> l.name().equals(name)).findFirst();
  }
}
