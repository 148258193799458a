package io.ferry.coordinator.placement;

import io.ferry.common.Names;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One host as placement sees it at the moment of the snapshot.
 *
 * @param name the host's name (a DNS label, see {@link Names})
 * @param status only {@link HostStatus#ONLINE} hosts receive containers
 * @param capacity what the host offers to containers
 * @param allocated the sum of the reservations of the containers placed on it; may exceed
 *     {@code capacity} (e.g. after the capacity was lowered), in which case nothing more fits
 * @param labels the host's labels, matched against a request's required labels
 * @param images the image digests and aliases the host already holds
 * @param antiAffinityGroups for each anti-affinity group, how many of its containers run here;
 *     groups with a zero count may be absent
 * @param containerCount how many containers are placed on the host
 * @param unplaceable why the host takes no containers even though it is online (e.g. its container
 *     network is not the cluster's), in words; empty when nothing stands in the way
 */
public record HostState(
    String name,
    HostStatus status,
    Resources capacity,
    Resources allocated,
    Map<String, String> labels,
    Set<String> images,
    Map<String, Integer> antiAffinityGroups,
    int containerCount,
    String unplaceable) {

  public HostState {
    Names.require("host", name);
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(capacity, "capacity");
    Objects.requireNonNull(allocated, "allocated");
    labels = Labels.copyOf(labels);
    // A hash set: placement asks every host whether it holds the image, twice per launch.
    images = Set.copyOf(Objects.requireNonNull(images, "images"));
    antiAffinityGroups =
        Collections.unmodifiableSortedMap(
            new TreeMap<>(Objects.requireNonNull(antiAffinityGroups, "antiAffinityGroups")));
    for (Map.Entry<String, Integer> e : antiAffinityGroups.entrySet()) {
      if (e.getValue() == null || e.getValue() < 0) {
        throw new IllegalArgumentException(
            "host " + name + ": anti-affinity group " + e.getKey() + " has a bad count " + e.getValue());
      }
    }
    if (containerCount < 0) {
      throw new IllegalArgumentException(
          "host " + name + ": container count cannot be negative: " + containerCount);
    }
    unplaceable = unplaceable == null ? "" : unplaceable;
  }

  /** A host with nothing but its status and resources standing in the way. */
  public HostState(
      String name,
      HostStatus status,
      Resources capacity,
      Resources allocated,
      Map<String, String> labels,
      Set<String> images,
      Map<String, Integer> antiAffinityGroups,
      int containerCount) {
    this(name, status, capacity, allocated, labels, images, antiAffinityGroups, containerCount, "");
  }

  /** True when something other than its status keeps the host from taking containers. */
  public boolean isUnplaceable() {
    return !unplaceable.isEmpty();
  }

  /** This host with {@code reason} keeping it from taking containers (empty: nothing). */
  public HostState withUnplaceable(String reason) {
    return new HostState(name, status, capacity, allocated, labels, images, antiAffinityGroups, containerCount, reason);
  }

  /** An online, empty host with no labels and no images. */
  public static HostState empty(String name, Resources capacity) {
    return new HostState(
        name, HostStatus.ONLINE, capacity, Resources.ZERO, Map.of(), Set.of(), Map.of(), 0);
  }

  /** Capacity minus allocations, each component floored at zero. */
  public Resources free() {
    return capacity.minusSaturating(allocated);
  }

  /** How many containers of {@code group} run here (zero when the group is absent). */
  public int groupCount(String group) {
    return antiAffinityGroups.getOrDefault(group, 0);
  }

  /** True when the host holds {@code imageRef} as a digest or an alias. */
  public boolean holdsImage(String imageRef) {
    return images.contains(imageRef);
  }

  /**
   * This host after {@code request} is placed on it: its reservation added to {@code allocated},
   * one more container (and one more member of its anti-affinity group), and its image held (the
   * agent pulls it on launch). Does not check that it fits: that is {@link Placer}'s job.
   */
  public HostState withPlaced(PlacementRequest request) {
    Map<String, Integer> groups = new TreeMap<>(antiAffinityGroups);
    request.antiAffinityGroup().ifPresent(g -> groups.merge(g, 1, Integer::sum));
    Set<String> held = new TreeSet<>(images);
    request.image().ifPresent(held::add);
    return new HostState(
        name,
        status,
        capacity,
        allocated.plus(request.resources()),
        labels,
        held,
        groups,
        containerCount + 1,
        unplaceable);
  }

  public HostState withStatus(HostStatus newStatus) {
    return new HostState(
        name, newStatus, capacity, allocated, labels, images, antiAffinityGroups, containerCount, unplaceable);
  }

  public HostState withAllocated(Resources newAllocated) {
    return new HostState(
        name, status, capacity, newAllocated, labels, images, antiAffinityGroups, containerCount, unplaceable);
  }

  public HostState withLabels(Map<String, String> newLabels) {
    return new HostState(
        name, status, capacity, allocated, newLabels, images, antiAffinityGroups, containerCount, unplaceable);
  }

  public HostState withImages(Set<String> newImages) {
    return new HostState(
        name, status, capacity, allocated, labels, newImages, antiAffinityGroups, containerCount, unplaceable);
  }

  public HostState withAntiAffinityGroups(Map<String, Integer> groups) {
    return new HostState(name, status, capacity, allocated, labels, images, groups, containerCount, unplaceable);
  }

  public HostState withContainerCount(int count) {
    return new HostState(
        name, status, capacity, allocated, labels, images, antiAffinityGroups, count, unplaceable);
  }
}
