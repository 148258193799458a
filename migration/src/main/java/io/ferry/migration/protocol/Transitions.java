package io.ferry.migration.protocol;

import static io.ferry.migration.protocol.Phase.ABORTED;
import static io.ferry.migration.protocol.Phase.AWAITING_COMMIT;
import static io.ferry.migration.protocol.Phase.COMMITTED;
import static io.ferry.migration.protocol.Phase.DUMPING;
import static io.ferry.migration.protocol.Phase.FREEZING;
import static io.ferry.migration.protocol.Phase.IN_DOUBT;
import static io.ferry.migration.protocol.Phase.PREPARED;
import static io.ferry.migration.protocol.Phase.RESTORING;
import static io.ferry.migration.protocol.Phase.ROLLING_BACK;
import static io.ferry.migration.protocol.Phase.STOPPING;
import static io.ferry.migration.protocol.Phase.SYNCING_DELTA;
import static io.ferry.migration.protocol.Phase.SYNCING_ROOTFS;
import static io.ferry.migration.protocol.Phase.TRANSFERRING_MEMORY;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The migration state machines, one per {@link Role}: which phase may follow which. Every phase
 * change of a journal goes through {@link #check}, which logs it and refuses an illegal move.
 *
 * <p>Source (the container's host):
 *
 * <pre>
 *   PREPARED -+-> SYNCING_ROOTFS (running) -+-> STOPPING ---------> SYNCING_DELTA -----+
 *             |                             |   (near-live)                           |
 *             |                             +-> FREEZING -> DUMPING -> TRANSFERRING_  |
 *             |                                 (live,        |         MEMORY        |
 *             |                                  post-copy)   |           |           |
 *             |                                  dump failed, v           v           |
 *             |                                  auto:  STOPPING    SYNCING_DELTA ----+
 *             +-> STOPPING -> SYNCING_ROOTFS (cold) ------------------------------------+
 *                                                                                        v
 *   IN_DOUBT <-- no answer -- RESTORING <------------------------------------------------+
 *      |                        |    \-- post-copy: TRANSFERRING_MEMORY (pages pulled) --+
 *      +--- target runs it ---->+----------------------------------> AWAITING_COMMIT <----+
 *      |                                                               |         |
 *      |   any failure before AWAITING_COMMIT, or abort                | commit  | abort
 *      +------------------------> ROLLING_BACK <-----------------------|---------+
 *                                      |                               v
 *                                      v                           COMMITTED (copy deleted)
 *                                   ABORTED (copy resumed)
 * </pre>
 *
 * <p>Target (the receiving host): PREPARED, then any order of SYNCING_ROOTFS, SYNCING_DELTA and
 * TRANSFERRING_MEMORY as the data arrives, RESTORING, AWAITING_COMMIT (runs it), COMMITTED; for
 * post-copy RESTORING, then TRANSFERRING_MEMORY while the restored container pulls its pages, then
 * AWAITING_COMMIT once all arrived. From any phase before COMMITTED, ROLLING_BACK (what it received
 * is deleted) then ABORTED.
 *
 * <p>Staying in a phase is always allowed (a second pass of the same kind, a repeated call).
 * Thread-safety: stateless; callers hold the migration's lock.
 */
public final class Transitions {

  private static final Logger log = LoggerFactory.getLogger(Transitions.class);

  private static final Map<Phase, Set<Phase>> SOURCE = new EnumMap<>(Phase.class);
  private static final Map<Phase, Set<Phase>> TARGET = new EnumMap<>(Phase.class);

  static {
    SOURCE.put(PREPARED, EnumSet.of(SYNCING_ROOTFS, STOPPING, ROLLING_BACK));
    SOURCE.put(SYNCING_ROOTFS, EnumSet.of(STOPPING, FREEZING, RESTORING, ROLLING_BACK));
    SOURCE.put(STOPPING, EnumSet.of(SYNCING_ROOTFS, SYNCING_DELTA, ROLLING_BACK));
    SOURCE.put(FREEZING, EnumSet.of(DUMPING, ROLLING_BACK));
    SOURCE.put(DUMPING, EnumSet.of(TRANSFERRING_MEMORY, STOPPING, ROLLING_BACK));
    SOURCE.put(TRANSFERRING_MEMORY, EnumSet.of(SYNCING_DELTA, RESTORING, AWAITING_COMMIT, IN_DOUBT, ROLLING_BACK));
    SOURCE.put(SYNCING_DELTA, EnumSet.of(RESTORING, ROLLING_BACK));
    SOURCE.put(RESTORING, EnumSet.of(AWAITING_COMMIT, TRANSFERRING_MEMORY, IN_DOUBT, ROLLING_BACK));
    SOURCE.put(IN_DOUBT, EnumSet.of(AWAITING_COMMIT, ROLLING_BACK));
    SOURCE.put(AWAITING_COMMIT, EnumSet.of(COMMITTED, ROLLING_BACK));
    SOURCE.put(ROLLING_BACK, EnumSet.of(ABORTED));
    SOURCE.put(COMMITTED, EnumSet.noneOf(Phase.class));
    SOURCE.put(ABORTED, EnumSet.noneOf(Phase.class));

    Set<Phase> receiving = EnumSet.of(SYNCING_ROOTFS, SYNCING_DELTA, TRANSFERRING_MEMORY, RESTORING, ROLLING_BACK);
    TARGET.put(PREPARED, receiving);
    TARGET.put(SYNCING_ROOTFS, receiving);
    TARGET.put(SYNCING_DELTA, receiving);
    Set<Phase> pulling = EnumSet.copyOf(receiving);
    pulling.add(AWAITING_COMMIT);
    TARGET.put(TRANSFERRING_MEMORY, pulling);
    TARGET.put(RESTORING, EnumSet.of(AWAITING_COMMIT, TRANSFERRING_MEMORY, ROLLING_BACK));
    TARGET.put(AWAITING_COMMIT, EnumSet.of(COMMITTED, ROLLING_BACK));
    TARGET.put(ROLLING_BACK, EnumSet.of(ABORTED));
    TARGET.put(COMMITTED, EnumSet.noneOf(Phase.class));
    TARGET.put(ABORTED, EnumSet.noneOf(Phase.class));
    TARGET.put(IN_DOUBT, EnumSet.noneOf(Phase.class));
  }

  private Transitions() {}

  public static boolean allowed(Role role, Phase from, Phase to) {
    return from == to || (role == Role.SOURCE ? SOURCE : TARGET).get(from).contains(to);
  }

  /**
   * Checks and logs one move of migration {@code id}.
   *
   * @throws MigrationException FAILED_PRECONDITION when the move is not in the role's table
   */
  public static void check(Role role, String id, Phase from, Phase to, String detail) {
    if (!allowed(role, from, to)) {
      throw MigrationException.precondition(
          "migration " + id + " (" + role.name().toLowerCase() + ") cannot go from " + from + " to " + to);
    }
    if (from != to) {
      log.info("migration={} role={} {} -> {}{}", id, role, from, to, detail == null || detail.isEmpty() ? "" : " (" + detail + ")");
    }
  }
}
