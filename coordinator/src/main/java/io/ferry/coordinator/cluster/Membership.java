package io.ferry.coordinator.cluster;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The cluster's hosts: every host an agent registered, whether it is alive and whether it is
 * enabled, kept up to date from ZooKeeper notifications.
 *
 * <p>Reads come from an in-memory snapshot and never block. While this coordinator is cut off
 * from ZooKeeper the snapshot is the last one seen. Registrations that are not Ferry's (an
 * InstanceConfig without Ferry's fields) are left out, with a warning. Thread-safe; listeners are
 * called on one thread dedicated to this membership, never on a ZooKeeper event thread.
 */
public interface Membership extends AutoCloseable {

  /** All registered hosts, ordered by name. */
  List<HostMember> hosts();

  /** The host called {@code name}, if registered. */
  Optional<HostMember> host(String name);

  /**
   * Adds a listener, told the whole new list (ordered by name) whenever a registration, a host's
   * liveness or its operation changes. It is not told the current list when added: read {@link
   * #hosts()} after adding it.
   */
  void addListener(Consumer<List<HostMember>> listener);

  /**
   * Records what host {@code name} is for, with the reason operators will see. Blocks for a
   * ZooKeeper write; the change shows in {@link #hosts()} once its notification arrives.
   *
   * @throws IllegalArgumentException when no such host is registered
   * @throws ClusterUnavailableException when ZooKeeper cannot be written
   */
  void setOperation(String name, HostOperation operation, String reason);

  /** Stops following the cluster. Idempotent; never throws. */
  @Override
  void close();
}
