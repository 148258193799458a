package io.ferry.coordinator.placement;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The hosts of the cluster at one moment, as placement input. Immutable; host names are unique
 * (a duplicate throws {@link IllegalArgumentException}). The list keeps the caller's order;
 * placement results do not depend on it.
 */
public record ClusterSnapshot(List<HostState> hosts) {

  public ClusterSnapshot {
    hosts = List.copyOf(Objects.requireNonNull(hosts, "hosts"));
    Set<String> seen = new HashSet<>(hosts.size() * 2);
    for (HostState h : hosts) {
      if (!seen.add(h.name())) {
        throw new IllegalArgumentException("host " + h.name() + " appears twice in the snapshot");
      }
    }
  }

  public static ClusterSnapshot of(HostState... hosts) {
    return new ClusterSnapshot(List.of(hosts));
  }

  /** The host called {@code name}, if the snapshot has one. */
  public Optional<HostState> host(String name) {
    for (HostState h : hosts) {
      if (h.name().equals(name)) {
        return Optional.of(h);
      }
    }
    return Optional.empty();
  }

  /**
   * A copy with {@code updated} in place of the host of the same name; throws {@link
   * IllegalArgumentException} when there is none.
   */
  public ClusterSnapshot withHost(HostState updated) {
    List<HostState> copy = new ArrayList<>(hosts);
    for (int i = 0; i < copy.size(); i++) {
      if (copy.get(i).name().equals(updated.name())) {
        copy.set(i, updated);
        return new ClusterSnapshot(Collections.unmodifiableList(copy));
      }
    }
    throw new IllegalArgumentException("no host " + updated.name() + " in the snapshot");
  }
}
