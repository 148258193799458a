package io.ferry.coordinator.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.coordinator.placement.Resources;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
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

  /** A host's allocation node. */
  public record HostAllocation(Resources capacity, Resources allocated, int containers) {}

  /** A placement node. */
  public record Placement(String container, String host, Resources reserved) {}

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

  /** Records a host with its capacity and nothing allocated; an existing host keeps its allocation. */
  public void registerHost(String host, Resources capacity) {
    try {
      zk.create().creatingParentsIfNeeded().forPath(paths.host(host), write(new HostAllocation(capacity, Resources.ZERO, 0)));
    } catch (KeeperException.NodeExistsException e) {
      // Known already: its allocation stands.
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
        HostAllocation after = new HostAllocation(now.capacity(), now.allocated().plus(need), now.containers() + 1);
        Placement placement = new Placement(container, host, need);
        List<CuratorOp> ops =
            List.of(
                zk.transactionOp().create().forPath(paths.placement(container), write(placement)),
                zk.transactionOp().setData().withVersion(stat.getVersion()).forPath(paths.host(host), write(after)));
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

  /** Removes the container's placement and gives its reservation back to the host, atomically. */
  public boolean release(String container) {
    try {
      for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        Optional<Placement> placement = placement(container);
        if (placement.isEmpty()) {
          return false;
        }
        String host = placement.get().host();
        Stat stat = new Stat();
        HostAllocation now = json.readValue(zk.getData().storingStatIn(stat).forPath(paths.host(host)), HostAllocation.class);
        HostAllocation after =
            new HostAllocation(now.capacity(), now.allocated().minusSaturating(placement.get().reserved()), Math.max(0, now.containers() - 1));
        try {
          zk.transaction().forOperations(List.of(
              zk.transactionOp().delete().forPath(paths.placement(container)),
              zk.transactionOp().setData().withVersion(stat.getVersion()).forPath(paths.host(host), write(after))));
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
