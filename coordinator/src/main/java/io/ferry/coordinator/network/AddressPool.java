package io.ferry.coordinator.network;

import io.ferry.common.net.Ipv4Cidr;
import io.ferry.coordinator.CoordinatorException;
import io.ferry.coordinator.CoordinatorException.Kind;
import io.ferry.coordinator.store.AddressSource;
import io.ferry.coordinator.store.ClusterAddress;
import io.ferry.coordinator.store.ClusterStore;
import io.ferry.coordinator.store.ContainerRecord;
import io.ferry.coordinator.store.StoreListener;
import io.ferry.coordinator.store.Versioned;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Which addresses of the cluster network are free, as this coordinator knows it: the addresses in
 * the container records of its mirror, plus those handed out by {@link #take} and not yet {@link
 * #giveBack given back} (launches in flight). Picks the lowest free address.
 *
 * <p>This is a fast guess, not the arbiter: the mirror may lag (a new leader, a write by another
 * coordinator), so the launch writes the address's unique index node in the same ZooKeeper
 * transaction as the record, and picks again, avoiding the address, when that node exists. Two
 * containers therefore never hold one address, even across leader failover.
 *
 * <p>Thread-safe (synchronized; every call is a bit-set lookup). Kept current by the store's
 * container events.
 */
public final class AddressPool implements StoreListener, AddressSource {

  private final ClusterNetwork network;
  /** Offsets in the subnet of the addresses containers hold, with how many records hold each. */
  private final Map<Long, Integer> holders = new HashMap<>();
  private final BitSet used = new BitSet();
  private final BitSet inFlight = new BitSet();

  public AddressPool(ClusterNetwork network) {
    this.network = network;
  }

  /** A pool that knows the store's containers and follows their changes. */
  public static AddressPool following(ClusterNetwork network, ClusterStore store) {
    AddressPool pool = new AddressPool(network);
    store.addListener(pool);
    pool.seed(store.containers());
    return pool;
  }

  public ClusterNetwork network() {
    return network;
  }

  /**
   * Hands out the lowest address that no record holds, no launch in flight holds, and that is not
   * in {@code taken} (found held in ZooKeeper during this launch); it stays in flight until {@link
   * #giveBack}.
   *
   * @throws CoordinatorException RESOURCE_EXHAUSTED when no address is left
   */
  @Override
  public synchronized ClusterAddress take(Set<String> taken) {
    BitSet avoid = new BitSet();
    for (String address : taken) {
      Long offset = inSubnet(address);
      if (offset != null) {
        avoid.set(offset.intValue());
      }
    }
    return take(avoid);
  }

  private ClusterAddress take(BitSet avoid) {
    BitSet taken = (BitSet) used.clone();
    taken.or(inFlight);
    taken.or(avoid);
    long lastAssignable = network.subnet().size() - 2;
    int offset = taken.nextClearBit(2);
    if (offset > lastAssignable) {
      throw new CoordinatorException(
          Kind.RESOURCE_EXHAUSTED,
          "the cluster network " + network + " has no free address: all " + network.subnet().assignableCount()
              + " are held by containers or launches in flight");
    }
    inFlight.set(offset);
    return network.identity(network.subnet().address(offset));
  }

  @Override
  public synchronized void giveBack(ClusterAddress address) {
    Long offset = inSubnet(address.address());
    if (offset != null) {
      inFlight.clear(offset.intValue());
    }
  }

  /** How many addresses launches in flight hold. */
  public synchronized int inFlight() {
    return inFlight.cardinality();
  }

  /** How many addresses records hold, as this coordinator knows. */
  public synchronized int held() {
    return used.cardinality();
  }

  @Override
  public synchronized void containerChanged(String name, ContainerRecord before, ContainerRecord after) {
    if (before != null && before.network() != null) {
      forget(before.network());
    }
    if (after != null && after.network() != null) {
      remember(after.network());
    }
  }

  private synchronized void seed(Collection<Versioned<ContainerRecord>> records) {
    for (Versioned<ContainerRecord> v : records) {
      if (v.value().network() != null) {
        remember(v.value().network());
      }
    }
  }

  private void remember(ClusterAddress address) {
    Long offset = inSubnet(address.address());
    if (offset != null && holders.merge(offset, 1, Integer::sum) == 1) {
      used.set(offset.intValue());
    }
  }

  private void forget(ClusterAddress address) {
    Long offset = inSubnet(address.address());
    if (offset != null && holders.computeIfPresent(offset, (k, n) -> n <= 1 ? null : n - 1) == null) {
      used.clear(offset.intValue());
    }
  }

  /** The address's offset, or null for an address outside the subnet (the subnet was changed). */
  private Long inSubnet(String address) {
    try {
      int bits = Ipv4Cidr.parseAddress(address);
      return network.subnet().contains(bits) ? network.subnet().offsetOf(bits) : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
