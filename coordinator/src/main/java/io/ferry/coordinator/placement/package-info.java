/**
 * Placement: which host runs a new container, and why (or why none can).
 *
 * <p>Pure by contract: a {@link io.ferry.coordinator.placement.ClusterSnapshot} and a {@link
 * io.ferry.coordinator.placement.PlacementRequest} in, a {@link
 * io.ferry.coordinator.placement.PlacementDecision} out. No I/O, no ZooKeeper, no threads, no
 * clock, no randomness: the same inputs always give the same decision, so decisions can be
 * replayed, explained ({@code ferry launch --dry-run}) and tested on static snapshots. Reserving
 * the chosen host (one atomic ZooKeeper write) is the caller's job.
 *
 * <p>The scheduler is filter-and-score: {@link io.ferry.coordinator.placement.Placer} refuses
 * every host that cannot run the container (with the reason in words), scores the rest by the
 * request's {@link io.ferry.coordinator.placement.Strategy}, and picks the best, ties broken by
 * host name. {@link io.ferry.coordinator.placement.PlacementBatch} decides several requests in
 * sequence against one snapshot without ever overcommitting a host.
 */
package io.ferry.coordinator.placement;
