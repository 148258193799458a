package io.ferry.agent.network;

import io.ferry.agent.AgentException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host side of the VXLAN overlay: the VXLAN device on the bridge ({@link #ensureDevice}) and
 * its flood list ({@link #syncPeers}). Both converge: they read what exists and change only what
 * differs, so they are safe to repeat at any time (agent start, every membership change, a
 * periodic resync). Not thread-safe: {@link NetworkManager} serialises calls.
 */
final class Overlay {

  private static final Logger log = LoggerFactory.getLogger(Overlay.class);

  private final NetworkConfig config;
  private final OverlayConfig overlay;
  private final IpCommands ip;

  Overlay(NetworkConfig config, IpCommands ip) {
    this.config = config;
    this.overlay = config.overlay();
    this.ip = ip;
  }

  /**
   * Makes the VXLAN device exist with the configured VNI, local address, port and MTU, enslaved to
   * the bridge and up; a device of that name with other parameters is replaced (its flood list goes
   * with it: the next {@link #syncPeers} refills it). With the overlay off, removes a VXLAN device of
   * that name that sits on the bridge (the overlay was switched off), and touches nothing else.
   *
   * @throws AgentException FAILED_PRECONDITION when an interface of the device's name exists and is
   *     not a VXLAN device; INTERNAL or TIMEOUT from {@code ip}
   */
  void ensureDevice() {
    String name = overlay.device();
    Optional<LinkState> link = ip.link(NetScope.AGENT, name);
    if (link.isPresent() && !link.get().kind().equals("vxlan")) {
      if (!overlay.enabled()) {
        return; // Not ours, and we need no overlay.
      }
      throw AgentException.precondition(
          "interface " + name + " exists and is a '" + link.get().kind() + "', not a VXLAN device; set "
              + OverlayConfig.KEY_DEVICE + " to another name");
    }
    Optional<VxlanLink> found = link.isPresent() ? ip.vxlan(name) : Optional.empty();
    if (!overlay.enabled()) {
      if (found.isPresent() && found.get().master().equals(config.bridgeName())) {
        ip.deleteLink(NetScope.AGENT, name);
        log.info("overlay off: removed VXLAN device {} from bridge {}", name, config.bridgeName());
      }
      return;
    }
    Ipv4Address local = overlay.localAddress().orElseThrow();
    if (found.isPresent() && !matches(found.get(), local)) {
      log.warn(
          "VXLAN device {} has vni {} local {} port {}, not vni {} local {} port {}: replacing it",
          name, found.get().vni(), found.get().local().map(Object::toString).orElse("none"), found.get().port(),
          overlay.vni(), local, overlay.port());
      ip.deleteLink(NetScope.AGENT, name);
      found = Optional.empty();
    }
    if (found.isEmpty()) {
      ip.addVxlan(name, overlay.vni(), local, overlay.port(), config.mtu());
      log.info("created VXLAN device {} (vni {}, local {}, port {}, mtu {})", name, overlay.vni(), local, overlay.port(), config.mtu());
    } else if (found.get().mtu() != config.mtu()) {
      ip.setMtu(NetScope.AGENT, name, config.mtu());
    }
    if (found.isEmpty() || !found.get().master().equals(config.bridgeName()) || !found.get().up()) {
      ip.attachToBridge(name, config.bridgeName());
    }
  }

  /**
   * Makes the flood list exactly {@code peers}, without this host's own underlay address: adds the
   * missing ones, removes the others. Continues past a failing entry and throws at the end, so one
   * bad peer does not keep the others out.
   *
   * @return what changed
   * @throws AgentException FAILED_PRECONDITION when the overlay is off or its device is missing;
   *     INTERNAL or TIMEOUT from {@code bridge} (after trying every entry)
   */
  PeerChanges syncPeers(Collection<Ipv4Address> peers) {
    if (!overlay.enabled()) {
      throw AgentException.precondition("the overlay is off (" + OverlayConfig.KEY_ENABLED + "=false): it has no peers");
    }
    String device = overlay.device();
    if (ip.link(NetScope.AGENT, device).isEmpty()) {
      throw AgentException.precondition("VXLAN device " + device + " is missing: the agent sets it up at start (ensureBridge)");
    }
    Set<Ipv4Address> wanted = new LinkedHashSet<>(peers);
    wanted.remove(overlay.localAddress().orElseThrow());
    List<Ipv4Address> present = ip.floodPeers(device);
    List<Ipv4Address> added = new ArrayList<>();
    List<Ipv4Address> removed = new ArrayList<>();
    AgentException failure = null;
    for (Ipv4Address peer : wanted) {
      if (!present.contains(peer)) {
        try {
          ip.addFloodPeer(device, peer);
          added.add(peer);
        } catch (AgentException e) {
          failure = chain(failure, e);
        }
      }
    }
    for (Ipv4Address peer : present) {
      if (!wanted.contains(peer)) {
        try {
          ip.removeFloodPeer(device, peer);
          removed.add(peer);
        } catch (AgentException e) {
          failure = chain(failure, e);
        }
      }
    }
    PeerChanges changes = new PeerChanges(added, removed, List.copyOf(wanted));
    if (!changes.unchanged()) {
      log.info("overlay {} peers now {}: added {}, removed {}", device, wanted, added, removed);
    }
    if (failure != null) {
      throw failure;
    }
    return changes;
  }

  private boolean matches(VxlanLink link, Ipv4Address local) {
    return link.vni() == overlay.vni() && link.port() == overlay.port() && link.local().equals(Optional.of(local));
  }

  private static AgentException chain(AgentException first, AgentException next) {
    if (first == null) {
      return next;
    }
    first.addSuppressed(next);
    return first;
  }
}
