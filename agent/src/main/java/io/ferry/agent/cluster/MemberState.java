package io.ferry.agent.cluster;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * Where a {@link HelixClusterMember} is in joining its cluster.
 *
 * <pre>
 *   NEW --join()--> WAITING_FOR_CLUSTER --cluster exists--> CONNECTING --live--> JOINED
 *                         ^                                     |                  |
 *                         +------ failure, retried with backoff-+                  |
 *                         +------ Helix gave up on its session (re-joined) --------+
 *   any state --close()--> CLOSED
 * </pre>
 */
public enum MemberState {
  /** Built, join() not called yet. */
  NEW,
  /** Waiting for ZooKeeper to answer and a coordinator to create the cluster, or to retry. */
  WAITING_FOR_CLUSTER,
  /** Writing the registration and connecting the participant. */
  CONNECTING,
  /** Registered and live; Helix keeps the session from here on. */
  JOINED,
  /** Left, for good. */
  CLOSED;

  private static final Map<MemberState, Set<MemberState>> NEXT = new EnumMap<>(MemberState.class);

  static {
    NEXT.put(NEW, EnumSet.of(WAITING_FOR_CLUSTER, CLOSED));
    NEXT.put(WAITING_FOR_CLUSTER, EnumSet.of(CONNECTING, CLOSED));
    NEXT.put(CONNECTING, EnumSet.of(JOINED, WAITING_FOR_CLUSTER, CLOSED));
    NEXT.put(JOINED, EnumSet.of(WAITING_FOR_CLUSTER, CLOSED));
    NEXT.put(CLOSED, EnumSet.noneOf(MemberState.class));
  }

  /** True when the transition table allows moving from this state to {@code next}. */
  public boolean canMoveTo(MemberState next) {
    return NEXT.get(this).contains(next);
  }
}
