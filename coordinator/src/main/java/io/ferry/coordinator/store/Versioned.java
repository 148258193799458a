package io.ferry.coordinator.store;

/**
 * A value read from a ZooKeeper node with the node's identity: {@code czxid} tells one life of the
 * node from another (a container deleted and launched again under the same name), {@code version}
 * orders the changes within one life and is what conditional writes compare against.
 */
public record Versioned<T>(T value, long czxid, int version) {

  /** True when this is a later state of the node than {@code other} (or a later life of its name). */
  public boolean newerThan(Versioned<?> other) {
    return czxid > other.czxid || (czxid == other.czxid && version > other.version);
  }
}
