package io.ferry.agent.network;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pass of {@link NetworkManager#reconcile()}: finds this agent's netns and host veths that no
 * lease accounts for and removes them. Runs under the manager's exclusive lock.
 */
final class Reconciler {

  private static final Logger log = LoggerFactory.getLogger(Reconciler.class);

  private final NetworkConfig config;
  private final NamingScheme names;
  private final IpCommands ip;
  private final ContainerPlumbing plumbing;

  Reconciler(NetworkConfig config, NamingScheme names, IpCommands ip, ContainerPlumbing plumbing) {
    this.config = config;
    this.names = names;
    this.ip = ip;
    this.plumbing = plumbing;
  }

  ReconcileReport reconcile(List<Lease> leases) {
    Set<String> leased = new HashSet<>();
    Set<String> leasedInterfaces = new HashSet<>();
    for (Lease lease : leases) {
      leased.add(lease.container());
      leasedInterfaces.add(names.hostInterface(lease.container()));
    }
    List<String> removedNamespaces = new ArrayList<>();
    List<String> removedInterfaces = new ArrayList<>();
    List<String> failures = new ArrayList<>();

    for (String ns : ip.namespaces()) {
      String container = names.containerOf(ns).orElse(null);
      if (container == null || leased.contains(container)) {
        continue;
      }
      try {
        // The host end first: it takes eth0 along at once, where a dying netns would do so later.
        if (plumbing.deleteIfPresent(NetScope.AGENT, names.hostInterface(container))) {
          removedInterfaces.add(names.hostInterface(container));
        }
        ip.deleteNamespace(ns);
        removedNamespaces.add(ns);
        log.atWarn().addKeyValue("container", container).log("removed netns {}: no lease for container {}", ns, container);
      } catch (RuntimeException e) {
        failures.add("netns " + ns + ": " + e.getMessage());
        log.atWarn().addKeyValue("container", container).log("cannot remove leaked netns {}: {}", ns, e.getMessage());
      }
    }

    for (LinkState link : ip.links(NetScope.AGENT)) {
      if (!link.isVeth()
          || !NamingScheme.looksLikeHostVeth(link.name())
          || !link.master().equals(config.bridgeName())
          || leasedInterfaces.contains(link.name())) {
        continue;
      }
      try {
        if (plumbing.deleteIfPresent(NetScope.AGENT, link.name())) {
          removedInterfaces.add(link.name());
          log.warn("removed veth {} on bridge {}: no lease", link.name(), config.bridgeName());
        }
      } catch (RuntimeException e) {
        failures.add("veth " + link.name() + ": " + e.getMessage());
        log.warn("cannot remove leaked veth {}: {}", link.name(), e.getMessage());
      }
    }
    ReconcileReport report = new ReconcileReport(removedNamespaces, removedInterfaces, failures);
    log.info(
        "network reconciled: removed netns {} and veths {}; {} failures",
        removedNamespaces, removedInterfaces, failures.size());
    return report;
  }
}
