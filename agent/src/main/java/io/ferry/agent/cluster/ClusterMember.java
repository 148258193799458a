package io.ferry.agent.cluster;

import io.ferry.common.cluster.HostRegistration;
import java.util.List;
import java.util.function.Consumer;

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
   * Has {@code listener} told the registrations of the cluster's live hosts (this one included),
   * the whole list each time: once as soon as the host has joined (and again after every re-join),
   * then after every change of the live set. Calls come from one thread, never concurrently, and
   * must return quickly. Register before {@link #join()}; a member without a listener watches
   * nothing (no cost).
   *
   * @throws IllegalStateException when called after {@link #join()}
   */
  void watchHosts(Consumer<List<HostRegistration>> listener);

  /**
   * True while the host is registered and its session with the cluster is connected, i.e. while
   * coordinators see it alive. False while joining, during a ZooKeeper disconnection or session
   * re-establishment, and after close.
   */
  boolean isConnected();

  /**
   * The ZooKeeper session that makes this host a live member, while connected: a different value
   * later means the session expired in between (and coordinators saw the host gone).
   */
  java.util.Optional<String> sessionId();

  /**
   * Since when the cluster has seen this host live under its current session: the first time the
   * member found its live-instance node written by that session (checked every 100 ms after a new
   * session begins). Empty before that; it keeps its value through a disconnection of the same
   * session. Never blocks: the fence reads it when it must strike at once.
   */
  java.util.Optional<java.time.Instant> liveSince();

  /**
   * Leaves the cluster: stops joining, and ends the session so that coordinators see the host gone
   * at once (its registration stays, for a later re-join). Idempotent; never throws.
   */
  @Override
  void close();
}
