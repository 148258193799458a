package io.ferry.agent.cluster;

/**
 * This host's membership of a Ferry cluster: while joined, coordinators see the host (its {@link
 * io.ferry.common.cluster.HostRegistration}) and see it alive; when it leaves or dies, they see it
 * gone within the ZooKeeper session timeout.
 *
 * <p>Lifecycle: {@link #join()} once, {@link #close()} once; not restartable. Thread-safe.
 */
public interface ClusterMember extends AutoCloseable {

  /**
   * Starts joining and returns at once. Joining goes on in the background, retrying with backoff
   * for as long as it takes: ZooKeeper may be unreachable, and the cluster may not exist until a
   * coordinator creates it.
   *
   * @throws IllegalStateException when called twice or after {@link #close()}
   */
  void join();

  /**
   * True while the host is registered and its session with the cluster is connected, i.e. while
   * coordinators see it alive. False while joining, during a ZooKeeper disconnection or session
   * re-establishment, and after close.
   */
  boolean isConnected();

  /**
   * Leaves the cluster: stops joining, and ends the session so that coordinators see the host gone
   * at once (its registration stays, for a later re-join). Idempotent; never throws.
   */
  @Override
  void close();
}
