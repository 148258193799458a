package io.ferry.coordinator.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.coordinator.placement.Resources;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
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
 * placement, {@link NodeTakenException} when a node to be created alongside exists (nothing
 * written), {@link StoreUnavailableException} when ZooKeeper fails or contention outlasts the
 * retries.
 */
public final class Reservations {

  private static final int MAX_ATTEMPTS = 64;

  private final CuratorFramework zk;
  private final ClusterPaths paths;
  private final ObjectMapper json = new ObjectMapper();
  private volatile boolean placementsParentExists;

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
    /**
     * @param hostAfter the host's allocation node as the reservation left it
     * @param zxid the ZooKeeper transaction that wrote the reservation (and everything alongside
     *     it: one multi-op transaction has one zxid, so nodes it created have this czxid)
     */
    record Reserved(Placement placement, Versioned<HostAllocation> hostAfter, long zxid) implements Outcome {}

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
    return reserve(container, host, need, Optional.empty(), List.of(), Optional::empty);
  }

  /**
   * Reserves {@code need} on {@code host} for {@code container}, atomically with its placement and
   * with {@code alongside} (e.g. the container's record and its launch operation): all of it is
   * written, or none. With a {@code group}, the host must hold no container of that group yet.
   *
   * <p>{@code known} gives the host's allocation node as the caller last saw it (a mirror of
   * ZooKeeper), or nothing. An attempt decides on it and writes conditionally on its version
   * instead of reading the node first, so an uncontended reservation is one round trip; after a
   * write lost on the version, {@code known} is used again only if it has moved past the version
   * that lost, else the node is read from ZooKeeper; a refusal for lack of room is only ever made
   * on the node as read from ZooKeeper. A stale {@code known} therefore costs a retry, never a
   * wrong reservation or refusal. Likewise the container's existing placement is looked for only when
   * the placement node turns out to exist, or when the host lacks room.
   */
  public Outcome reserve(
      String container,
      String host,
      Resources need,
      Optional<String> group,
      List<CuratorOp> alongside,
      Supplier<Optional<Versioned<HostAllocation>>> known) {
    try {
      ensurePlacementsParent();
      Versioned<HostAllocation> lost = null;
      boolean readFirst = false;
      for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        Optional<Versioned<HostAllocation>> seen = readFirst ? Optional.empty() : known.get();
        boolean fromMirror = seen.isPresent() && (lost == null || seen.get().newerThan(lost));
        Versioned<HostAllocation> current = fromMirror ? seen.get() : readHost(host);
        HostAllocation now = current.value();
        Resources free = now.capacity().minusSaturating(now.allocated());
        String refusal = null;
        if (!need.fitsIn(free)) {
          refusal = host + ": needs " + need + ", " + free + " free";
        } else if (group.isPresent() && now.groups().getOrDefault(group.get(), 0) > 0) {
          refusal = host + ": already runs a container of anti-affinity group " + group.get();
        }
        if (refusal != null && fromMirror) {
          readFirst = true; // refuse only on what ZooKeeper itself holds
          continue;
        }
        if (refusal != null) {
          Optional<Placement> existing = placement(container);
          return existing.isPresent() ? new Outcome.AlreadyPlaced(existing.get()) : new Outcome.Insufficient(refusal);
        }
        HostAllocation after = now.plus(need, group);
        Placement placement = new Placement(container, host, need, group.orElse(""));
        List<CuratorOp> ops = new ArrayList<>();
        ops.add(zk.transactionOp().create().forPath(paths.placement(container), write(placement)));
        ops.add(zk.transactionOp().setData().withVersion(current.version()).forPath(paths.host(host), write(after)));
        ops.addAll(alongside);
        try {
          List<CuratorTransactionResult> results = zk.transaction().forOperations(ops);
          Stat stat = results.get(1).getResultStat();
          return new Outcome.Reserved(placement, new Versioned<>(after, stat.getCzxid(), stat.getVersion()), stat.getMzxid());
        } catch (KeeperException.BadVersionException e) {
          // Someone else changed the host since the version we wrote against: look again. (The
          // placement is created first in the transaction, so it did not exist.)
          lost = current;
        } catch (KeeperException.NodeExistsException e) {
          // This container was placed meanwhile, or a node alongside exists.
          Optional<Placement> existing = placement(container);
          if (existing.isPresent()) {
            return new Outcome.AlreadyPlaced(existing.get());
          }
          Optional<String> taken = existingNode(e, ops);
          if (taken.isPresent() && !taken.get().equals(paths.placement(container))) {
            throw new NodeTakenException(taken.get());
          }
          lost = current;
        }
      }
      throw new StoreUnavailableException("host " + host + " is too contended: " + MAX_ATTEMPTS + " attempts lost");
    } catch (StoreUnavailableException | NodeTakenException e) {
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
          List<CuratorTransactionResult> results = zk.transaction().forOperations(ops);
          Stat stat = results.get(1).getResultStat();
          return new Outcome.Reserved(resized, new Versioned<>(after, stat.getCzxid(), stat.getVersion()), stat.getMzxid());
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

  /**
   * A node that a reservation creates alongside its placement (e.g. a unique index node) exists
   * already: nothing was written. The caller decides: another value, or give up.
   */
  public static final class NodeTakenException extends RuntimeException {
    private final String path;

    public NodeTakenException(String path) {
      super("node " + path + " exists");
      this.path = path;
    }

    public String path() {
      return path;
    }
  }

  /** The path of the create that failed a multi-op transaction with NODEEXISTS, when ZooKeeper says. */
  private static Optional<String> existingNode(KeeperException e, List<CuratorOp> ops) {
    List<org.apache.zookeeper.OpResult> results = e.getResults();
    if (results == null) {
      return Optional.empty();
    }
    for (int i = 0; i < results.size() && i < ops.size(); i++) {
      if (results.get(i) instanceof org.apache.zookeeper.OpResult.ErrorResult error
          && error.getErr() == KeeperException.Code.NODEEXISTS.intValue()) {
        return Optional.of(ops.get(i).get().getPath());
      }
    }
    return Optional.empty();
  }

  private Versioned<HostAllocation> readHost(String host) throws Exception {
    Stat stat = new Stat();
    HostAllocation now = json.readValue(zk.getData().storingStatIn(stat).forPath(paths.host(host)), HostAllocation.class);
    return new Versioned<>(now, stat.getCzxid(), stat.getVersion());
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

  /**
   * The key under which a migrating container's reservation on its target host is held while it
   * also holds its source host: {@code NAME~incoming}. A container name is a DNS label, so no
   * container can be called that.
   */
  public static String incomingKey(String container) {
    return container + ClusterPaths.INCOMING;
  }

  /**
   * A migration's commit: the container's placement moves to the host of its incoming reservation
   * (which already counts it there), its source host gets its reservation back, and the incoming
   * reservation goes, atomically with {@code alongside} (asked again on every attempt, so its
   * conditional writes can be made against what is current). Idempotent: true without writing when the
   * container is already placed there and no incoming reservation is left.
   *
   * @return false (nothing written) when there is no incoming reservation and the container is not
   *     placed on {@code target}
   */
  public boolean moveIncoming(String container, String target, Supplier<List<CuratorOp>> alongside) {
    String incoming = incomingKey(container);
    try {
      for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        Stat placementStat = new Stat();
        Placement source;
        try {
          source = json.readValue(zk.getData().storingStatIn(placementStat).forPath(paths.placement(container)), Placement.class);
        } catch (KeeperException.NoNodeException e) {
          return false;
        }
        Optional<Placement> held = placement(incoming);
        if (held.isEmpty()) {
          return source.host().equals(target);
        }
        if (!held.get().host().equals(target)) {
          throw new StoreUnavailableException(container + " is incoming on " + held.get().host() + ", not " + target);
        }
        Stat hostStat = new Stat();
        HostAllocation sourceHost = json.readValue(zk.getData().storingStatIn(hostStat).forPath(paths.host(source.host())), HostAllocation.class);
        Placement moved = new Placement(container, target, held.get().reserved(), held.get().group());
        List<CuratorOp> ops = new ArrayList<>();
        ops.add(zk.transactionOp().delete().forPath(paths.placement(incoming)));
        ops.add(zk.transactionOp().setData().withVersion(placementStat.getVersion()).forPath(paths.placement(container), write(moved)));
        ops.add(zk.transactionOp().setData().withVersion(hostStat.getVersion()).forPath(paths.host(source.host()),
            write(sourceHost.minus(source.reserved(), source.groupName()))));
        ops.addAll(alongside.get());
        try {
          zk.transaction().forOperations(ops);
          return true;
        } catch (KeeperException.BadVersionException | KeeperException.NoNodeException e) {
          // Changed since we read: look again.
        }
      }
      throw new StoreUnavailableException("cannot move " + container + " to " + target + ": " + MAX_ATTEMPTS + " attempts lost");
    } catch (StoreUnavailableException e) {
      throw e;
    } catch (Exception e) {
      throw new StoreUnavailableException("cannot move " + container + " to " + target, e);
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

  /** Makes sure {@code placements/} exists; asks ZooKeeper until it once did (it is never deleted). */
  private void ensurePlacementsParent() throws Exception {
    if (placementsParentExists) {
      return;
    }
    if (zk.checkExists().forPath(paths.placements()) == null) {
      try {
        zk.create().creatingParentsIfNeeded().forPath(paths.placements());
      } catch (KeeperException.NodeExistsException e) {
        // Created concurrently: fine.
      }
    }
    placementsParentExists = true;
  }

  private byte[] write(Object value) throws IOException {
    return json.writeValueAsBytes(value);
  }
}
