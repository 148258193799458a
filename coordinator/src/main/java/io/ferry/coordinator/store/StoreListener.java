package io.ferry.coordinator.store;

/**
 * Told about every change the {@link ClusterStore} mirror applies, once per change, in ZooKeeper's
 * order for any one node. Called on the store's event thread: implementations must be quick and
 * must not block (hand work to their own executor).
 *
 * <p>{@code before} is null for a new node, {@code after} is null for a removed one.
 */
public interface StoreListener {

  default void containerChanged(String name, ContainerRecord before, ContainerRecord after) {}

  default void operationChanged(String id, OperationRecord before, OperationRecord after) {}

  default void hostAllocationChanged(String host, Reservations.HostAllocation before, Reservations.HostAllocation after) {}
}
