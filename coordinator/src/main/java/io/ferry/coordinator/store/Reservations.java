package io.ferry.coordinator.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.coordinator.placement.Resources;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * Reserves a host's resources for a container in the same ZooKeeper write that records the
 * placement: one transaction creates {@code placements/NAME} and updates {@code hosts/HOST} at the
 * version that was read. Two coordinators (or two threads) reserving on one host at once cannot
 * both win against the same version: the loser re-reads and tries again, so a host is never
 * overcommitted and a container is never placed twice.
 *
 * <p>Thread-safe: all state is in ZooKeeper. Failure modes: {@link Outcome.Insufficient} when
 * the host lacks room (nothing written), {@link Outcome.AlreadyPlaced} when the container has a
 * placement, {@link StoreUnavailableException} when ZooKeeper fails or contention outlasts the
 * retries.
 */
public final class Reservations {

  private static final int MAX_ATTEMPTS = 64;

  private final CuratorFramework zk;
  private final ClusterPaths paths;
  private final ObjectMapper json = new ObjectMapper();

  /**
   * A host's allocation node.
   *
   * @param groups for each anti-affinity group with containers here, how many (at most one once
   *     placement enforces it; counted so a release never goes wrong)
   */
  public record HostAllocation(Resources capacity, Resources allocated, int containers, Map<String, Integer> groups) {
    public HostAllocation {
      groups = groups == null ? Map.of() : Map.copyOf(groups);
    }

    HostAllocation plus(Resources need, Optional<String> group) {
      Map<String, Integer> g = new TreeMap<>(groups);
      group.ifPresent(name -> g.merge(name, 1, Integer::sum));
      return new HostAllocation(capacity, allocated.plus(need), containers + 1, g);
    }

    HostAllocation minus(Resources reserved, Optional<String> group) {
      Map<String, Integer> g = new TreeMap<>(groups);
      group.ifPresent(name -> g.computeIfPresent(name, (k, n) -> n <= 1 ? null : n - 1));
      return new HostAllocation(capacity, allocated.minusSaturating(reserved), Math.max(0, containers - 1), g);
    }
  }

  /** A placement node; {@code group} is the anti-affinity group, empty for none. */
  public record Placement(String container, String host, Resources reserved, String group) {
    public Placement {
      group = group == null ? "" : group;
    }

    Optional<String> groupName() {
      return group.isEmpty() ? Optional.empty() : Optional.of(group);
    }
  }

  /** What a reservation did. */
  public sealed interface Outcome {
    record Reserved(Placement placement, HostAllocation hostAfter) implements Outcome {}

    record Insufficient(String reason) implements Outcome {}

    record AlreadyPlaced(Placement existing) implements Outcome {}
  }

  public Reservations(CuratorFramework zk, ClusterPaths paths) {
    this.zk = zk;
    this.paths = paths;
  }

  /**
   * Records a host with its capacity and nothing allocated; a known host gets the new capacity and
   * keeps its allocation.
   */
  public void registerHost(String host, Resources capacity) {
    try {
      for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        Stat stat = new Stat();
        HostAllocation now;
        try {
          now = json.readValue(zk.getData().storingStatIn(stat).forPath(paths.host(host)), HostAllocation.class);
        } catch (KeeperException.NoNodeException e) {
          try {
            zk.create().creatingParentsIfNeeded().forPath(paths.host(host), write(new HostAllocation(capacity, Resources.ZERO, 0, Map.of())));
            return;
          } catch (KeeperException.NodeExistsException raced) {
            continue;
          }
        }
        if (now.capacity().equals(capacity)) {
          return;
        }
        try {
          HostAllocation after = new HostAllocation(capacity, now.allocated(), now.containers(), now.groups());
          zk.setData().withVersion(stat.getVersion()).forPath(paths.host(host), write(after));
          return;
        } catch (KeeperException.BadVersionException e) {
          // Changed since we read: look again.
        }
      }
      throw new StoreUnavailableException("host " + host + " is too contended to register");
    } catch (StoreUnavailableException e) {
      throw e;
    } catch (Exception e) {
      throw new StoreUnavailableException("cannot register host " + host, e);
    }
  }

  public Optional<HostAllocation> host(String host) {
    try {
      return Optional.of(json.readValue(zk.getData().forPath(paths.host(host)), HostAllocation.class));
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    } catch (Exception e) {
      throw new StoreUnavailableException("cannot read host " + host, e);
    }
  }

  /** Reserves {@code need} on {@code host} for {@code container}, atomically with its placement. */
  public Outcome reserve(String container, String host, Resources need) {
    return reserve(container, host, need, Optional.empty(), List.of());
  }

  /**
   * Reserves {@code need} on {@code host} for {@code container}, atomically with its placement and
   * with {@code alongside} (e.g. the container's record and its launch operation): all of it is
   * written, or none. With a {@code group}, the host must hold no container of that group yet.
   */
  public Outcome reserve(String container, String host, Resources need, Optional<String> group, List<CuratorOp> alongside) {
    try {
      ensureParent(paths.placements());
      for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        Optional<Placement> existing = placement(container);
        if (existing.isPresent()) {
          return new Outcome.AlreadyPlaced(existing.get());
        }
        Stat stat = new Stat();
        HostAllocation now = json.readValue(zk.getData().storingStatIn(stat).forPath(paths.host(host)), HostAllocation.class);
        Resources free = now.capacity().minusSaturating(now.allocated());
        if (!need.fitsIn(free)) {
          return new Outcome.Insufficient(host + ": needs " + need + ", " + free + " free");
        }
        if (group.isPresent() && now.groups().getOrDefault(group.get(), 0) > 0) {
          return new Outcome.Insufficient(host + ": already runs a container of anti-affinity group " + group.get());
        }
        HostAllocation after = now.plus(need, group);
        Placement placement = new Placement(container, host, need, group.orElse(""));
        List<CuratorOp> ops = new ArrayList<>();
        ops.add(zk.transactionOp().create().forPath(paths.placement(container), write(placement)));
        ops.add(zk.transactionOp().setData().withVersion(stat.getVersion()).forPath(paths.host(host), write(after)));
        ops.addAll(alongside);
        try {
          zk.transaction().forOperations(ops);
          return new Outcome.Reserved(placement, after);
        } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException e) {
          // Someone else changed the host, or placed this container, since we read: look again.
        }
      }
      throw new StoreUnavailableException("host " + host + " is too contended: " + MAX_ATTEMPTS + " attempts lost");
    } catch (StoreUnavailableException e) {
      throw e;
    } catch (Exception e) {
      throw new StoreUnavailableException("cannot reserve " + container + " on " + host, e);
    }
  }

  /**
   * Changes what a placed container reserves on its host to {@code need}, atomically with its
   * placement and {@code alongside}: a growth must fit in the host's free room (what the
   * container already holds counts as its own), a shrink always succeeds.
   *
   * @return {@link Outcome.Reserved} with the new placement, {@link Outcome.Insufficient} when the
   *     host lacks room (nothing written)
   * @throws StoreUnavailableException when the container has no placement, or ZooKeeper fails
   */
  public Outcome resize(String container, Resources need, List<CuratorOp> alongside) {
    try {
      for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        Stat placementStat = new Stat();
        Placement placement = json.readValue(zk.getData().storingStatIn(placementStat).forPath(paths.placement(container)), Placement.class);
        Stat hostStat = new Stat();
        HostAllocation now = json.readValue(zk.getData().storingStatIn(hostStat).forPath(paths.host(placement.host())), HostAllocation.class);
        Resources free = now.capacity().minusSaturating(now.allocated()).plus(placement.reserved());
        if (!need.fitsIn(free)) {
          return new Outcome.Insufficient(placement.host() + ": needs " + need + ", " + free + " free counting what " + container + " holds");
        }
        HostAllocation after =
            new HostAllocation(now.capacity(), now.allocated().minusSaturating(placement.reserved()).plus(need), now.containers(), now.groups());
        Placement resized = new Placement(container, placement.host(), need, placement.group());
        List<CuratorOp> ops = new ArrayList<>();
        ops.add(zk.transactionOp().setData().withVersion(placementStat.getVersion()).forPath(paths.placement(container), write(resized)));
        ops.add(zk.transactionOp().setData().withVersion(hostStat.getVersion()).forPath(paths.host(placement.host()), write(after)));
        ops.addAll(alongside);
        try {
          zk.transaction().forOperations(ops);
          return new Outcome.Reserved(resized, after);
        } catch (KeeperException.BadVersionException e) {
          // Changed since we read: look again.
        }
      }
      throw new StoreUnavailableException("cannot resize " + container + ": " + MAX_ATTEMPTS + " attempts lost");
    } catch (StoreUnavailableException e) {
      throw e;
    } catch (KeeperException.NoNodeException e) {
      throw new StoreUnavailableException(container + " has no placement to resize", e);
    } catch (Exception e) {
      throw new StoreUnavailableException("cannot resize " + container, e);
    }
  }

  /** Removes the container's placement and gives its reservation back to the host, atomically. */
  public boolean release(String container) {
    return release(container, List.of());
  }

  /**
   * Removes the container's placement and gives its reservation back to the host, atomically with
   * {@code alongside}; false (and nothing written) when it has no placement.
   */
  public boolean release(String container, List<CuratorOp> alongside) {
    try {
      for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        Optional<Placement> placement = placement(container);
        if (placement.isEmpty()) {
          return false;
        }
        String host = placement.get().host();
        Stat stat = new Stat();
        HostAllocation now = json.readValue(zk.getData().storingStatIn(stat).forPath(paths.host(host)), HostAllocation.class);
        HostAllocation after = now.minus(placement.get().reserved(), placement.get().groupName());
        List<CuratorOp> ops = new ArrayList<>();
        ops.add(zk.transactionOp().delete().forPath(paths.placement(container)));
        ops.add(zk.transactionOp().setData().withVersion(stat.getVersion()).forPath(paths.host(host), write(after)));
        ops.addAll(alongside);
        try {
          zk.transaction().forOperations(ops);
          return true;
        } catch (KeeperException.BadVersionException | KeeperException.NoNodeException e) {
          // Changed since we read: look again.
        }
      }
      throw new StoreUnavailableException("cannot release " + container + ": " + MAX_ATTEMPTS + " attempts lost");
    } catch (StoreUnavailableException e) {
      throw e;
    } catch (Exception e) {
      throw new StoreUnavailableException("cannot release " + container, e);
    }
  }

  public Optional<Placement> placement(String container) {
    try {
      return Optional.of(json.readValue(zk.getData().forPath(paths.placement(container)), Placement.class));
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    } catch (Exception e) {
      throw new StoreUnavailableException("cannot read the placement of " + container, e);
    }
  }

  private void ensureParent(String path) throws Exception {
    if (zk.checkExists().forPath(path) == null) {
      try {
        zk.create().creatingParentsIfNeeded().forPath(path);
      } catch (KeeperException.NodeExistsException e) {
        // Created concurrently: fine.
      }
    }
  }

  private byte[] write(Object value) throws IOException {
    return json.writeValueAsBytes(value);
  }
}
