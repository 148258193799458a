package io.ferry.coordinator.cluster;

/** What an operator (or the leader) says a host is for, beyond being alive. */
public enum HostOperation {
  /** The host takes containers (the default). */
  ENABLE,
  /** The host takes no new containers. */
  DISABLE,
  /** The host takes no new containers, and what runs there is to be moved away. */
  EVACUATE
}
