package io.ferry.coordinator.operations;

import io.ferry.common.Names;
import io.ferry.coordinator.CoordinatorException;
import io.ferry.coordinator.CoordinatorException.Kind;
import io.ferry.coordinator.cluster.HostOperation;
import io.ferry.coordinator.cluster.Membership;
import io.ferry.coordinator.hosts.HostDirectory;
import io.ferry.coordinator.placement.HostStatus;
import io.ferry.coordinator.store.ClusterStore;
import io.ferry.coordinator.store.ContainerRecord;
import io.ferry.coordinator.store.OperationRecord;
import io.ferry.coordinator.store.Versioned;
import io.ferry.proto.v1.ContainerMove;
import io.ferry.proto.v1.EvacuateHostRequest;
import io.ferry.proto.v1.EvacuationReport;
import io.ferry.proto.v1.MigrateRequest;
import io.ferry.proto.v1.MigrationMode;
import io.ferry.proto.v1.RestoreHostRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A host's evacuation ({@code ferry host evacuate}) and restore ({@code ferry host restore}), each
 * a persisted operation whose target is the host.
 *
 * <p>Evacuation: the host is set to EVACUATE (it takes no new placements and shows EVACUATING,
 * then EVACUATED once it holds nothing), then every container it held when the evacuation began
 * is moved away by its own migration (placement chooses the target), or stopped in place with
 * {@code stop}, at most {@code parallel} at a time. One failing move does not stop the others; the
 * operation ends SUCCEEDED when every container moved (or stopped), FAILED with the count and the
 * reasons otherwise, and its params carry the per-container report either way.
 *
 * <p>Restore: the host takes containers again, then the containers the host's latest evacuation
 * moved away (and that still run where it put them) move back to it. Ended operations are kept
 * for {@code operations.keep-ended} (1 h by default): past that, a restore re-enables the host and
 * moves nothing back, and says so.
 *
 * <p>Each container's state is kept in the operation's params ({@code c.NAME.state}, {@code
 * .op}, {@code .from}, {@code .to}, {@code .detail}, {@code .attempts}) and written after every change, so a new
 * leader resumes the loop where the old one was: moves in flight are the containers' own
 * operations, which the runner resumes on their own; this loop only waits for them.
 *
 * <pre>
 *   per container:  PENDING --> MOVING --> MOVED | STOPPED | FAILED
 *                      ^  `---------------> FAILED (refused at once) | SKIPPED (cancelled, gone)
 *                      `---------'  rolled back (ABORTED: a coordinator died mid-move, a stream
 *                                   broke) while it still runs where it was: again, at most
 *                                   MAX_ATTEMPTS times
 * </pre>
 */
public final class Evacuations {

  private static final Logger log = LoggerFactory.getLogger(Evacuations.class);

  static final String MODE = "mode";
  static final String STOP = "stop";
  static final String PARALLEL = "parallel";
  static final int DEFAULT_PARALLEL = 4;
  static final int MAX_PARALLEL = 32;
  private static final String PREFIX = "c.";
  private static final Duration POLL = Duration.ofMillis(200);
  /** How many times a move that was rolled back (not refused) is started again. */
  static final int MAX_ATTEMPTS = 3;
  private static final Duration HOST_ONLINE_WAIT = Duration.ofSeconds(60);

  private final ClusterStore store;
  private final HostDirectory hosts;
  private final Membership membership;
  private final ContainerOperations operations;
  private final OperationRunner runner;
  private final Clock clock;

  public Evacuations(
      ClusterStore store, HostDirectory hosts, Membership membership, ContainerOperations operations, OperationRunner runner,
      Clock clock) {
    this.store = store;
    this.hosts = hosts;
    this.membership = membership;
    this.operations = operations;
    this.runner = runner;
    this.clock = clock;
  }

  // ---- begin: on an API thread of the leader ----

  /**
   * Records and starts the evacuation of {@code request.name}.
   *
   * @throws CoordinatorException NOT_FOUND (no such host), INVALID_ARGUMENT (name, mode,
   *     parallel), ALREADY_EXISTS (an evacuation or restore of the host is running)
   */
  public synchronized OperationRecord evacuate(EvacuateHostRequest request) {
    String host = requireHost(request.getName());
    MigrationMode mode = mode(request.getMode(), request.getModeValue());
    int parallel = parallel(request.getParallel());
    Map<String, String> params = new TreeMap<>();
    params.put(MODE, mode.name());
    params.put(STOP, Boolean.toString(request.getStop()));
    params.put(PARALLEL, Integer.toString(parallel));
    for (String name : containersOn(host)) {
      params.putAll(entry(name, ContainerMove.State.STATE_PENDING, "", host, "", ""));
    }
    return start(OperationRecord.Kind.EVACUATE, host, params, "draining " + host);
  }

  /**
   * Records and starts the restore of {@code request.name}: the containers its latest evacuation
   * moved away, and that still run where it put them, move back.
   *
   * @throws CoordinatorException NOT_FOUND, INVALID_ARGUMENT, ALREADY_EXISTS as {@link #evacuate}
   */
  public synchronized OperationRecord restore(RestoreHostRequest request) {
    String host = requireHost(request.getName());
    MigrationMode mode = mode(request.getMode(), request.getModeValue());
    int parallel = parallel(request.getParallel());
    Map<String, String> params = new TreeMap<>();
    params.put(MODE, mode.name());
    params.put(STOP, "false");
    params.put(PARALLEL, Integer.toString(parallel));
    Optional<OperationRecord> last = store.operations().stream()
        .filter(op -> op.kind() == OperationRecord.Kind.EVACUATE && op.target().equals(host))
        .max(Comparator.comparing(OperationRecord::id));
    String phase = "taking " + host + " back";
    if (last.isEmpty()) {
      phase += " (no evacuation of it is on record: nothing moves back)";
    }
    for (Move m : last.map(Evacuations::moves).orElse(List.of())) {
      boolean stillThere = store.container(m.container()).map(v -> v.value().host().equals(m.to())).orElse(false);
      if (m.state() == ContainerMove.State.STATE_MOVED && stillThere) {
        params.putAll(entry(m.container(), ContainerMove.State.STATE_PENDING, "", m.to(), "", ""));
      }
    }
    return start(OperationRecord.Kind.RESTORE_HOST, host, params, phase);
  }

  private OperationRecord start(OperationRecord.Kind kind, String host, Map<String, String> params, String phase) {
    boolean busy = store.operations().stream()
        .anyMatch(op -> op.kind().onHost() && op.target().equals(host) && !op.state().isFinal());
    if (busy) {
      throw new CoordinatorException(Kind.ALREADY_EXISTS, "host " + host + " is already being evacuated or restored");
    }
    OperationRecord op = OperationRecord.started(OperationIds.next(clock), kind, host, phase, params, clock.millis());
    runner.claim(op.id());
    try {
      store.createOperation(op);
    } catch (RuntimeException e) {
      runner.release(op.id());
      throw e;
    }
    runner.submitClaimed(op);
    log.info("{} of host {} begins: {} containers, mode {}, {} at a time", kind.label(), host, moves(op).size(),
        op.param(MODE), op.param(PARALLEL));
    return op;
  }

  private String requireHost(String name) {
    Names.require("host", name);
    if (hosts.host(name).isEmpty()) {
      throw new CoordinatorException(Kind.NOT_FOUND, "no host " + name + " in the cluster");
    }
    return name;
  }

  private static MigrationMode mode(MigrationMode mode, int value) {
    if (value < 0 || mode == MigrationMode.UNRECOGNIZED) {
      throw new CoordinatorException(Kind.INVALID_ARGUMENT, "unknown migration mode " + value);
    }
    return mode == MigrationMode.MIGRATION_MODE_UNSPECIFIED ? MigrationMode.MIGRATION_MODE_AUTO : mode;
  }

  private static int parallel(int asked) {
    if (asked < 0 || asked > MAX_PARALLEL) {
      throw new CoordinatorException(Kind.INVALID_ARGUMENT, "parallel must be 1.." + MAX_PARALLEL + " (0 for " + DEFAULT_PARALLEL + "), not " + asked);
    }
    return asked == 0 ? DEFAULT_PARALLEL : asked;
  }

  private List<String> containersOn(String host) {
    TreeSet<String> names = new TreeSet<>();
    for (Versioned<ContainerRecord> v : store.containers()) {
      if (v.value().host().equals(host) && v.value().desired() != ContainerRecord.Desired.DELETED) {
        names.add(v.value().name());
      }
    }
    return List.copyOf(names);
  }

  // ---- execute: on the runner's host pool ----

  /**
   * Drives a recorded evacuation or restore to its end; see the class comment. Throws the
   * runner's LostLeadership (from {@code requireLeader}) when this coordinator stops leading: the
   * next leader resumes it.
   */
  void execute(OperationRecord start, Runnable requireLeader) {
    OperationRecord op = start;
    String host = op.target();
    boolean restore = op.kind() == OperationRecord.Kind.RESTORE_HOST;
    requireLeader.run();
    if (restore) {
      membership.setOperation(host, HostOperation.ENABLE, "restore " + op.id());
      awaitOnline(host, requireLeader);
    } else {
      membership.setOperation(host, HostOperation.EVACUATE, "evacuation " + op.id());
    }
    int parallel = Integer.parseInt(op.param(PARALLEL));
    while (true) {
      requireLeader.run();
      Map<String, String> changes = new LinkedHashMap<>();
      List<Move> moves = moves(op);
      for (Move m : moves) {
        if (m.state() == ContainerMove.State.STATE_MOVING) {
          finished(m).ifPresent(changes::putAll);
        } else if (m.state() == ContainerMove.State.STATE_PENDING && op.cancelRequested()) {
          changes.putAll(entry(m.container(), ContainerMove.State.STATE_SKIPPED, m.op(), m.from(), "", "cancelled by request"));
        }
      }
      op = persist(op, changes, requireLeader);
      moves = moves(op);
      long moving = moves.stream().filter(m -> m.state() == ContainerMove.State.STATE_MOVING).count();
      for (Move m : moves) {
        if (moving >= parallel || op.cancelRequested()) {
          break;
        }
        if (m.state() == ContainerMove.State.STATE_PENDING) {
          changes.clear();
          changes.putAll(begin(op, m, restore ? host : ""));
          op = persist(op, changes, requireLeader);
          if (changes.get(PREFIX + m.container() + ".state").equals(ContainerMove.State.STATE_MOVING.name())) {
            moving++;
          }
        }
      }
      moves = moves(op);
      if (moves.stream().noneMatch(m -> m.state() == ContainerMove.State.STATE_PENDING || m.state() == ContainerMove.State.STATE_MOVING)) {
        finish(op, moves, requireLeader);
        return;
      }
      try {
        TimeUnit.MILLISECONDS.sleep(POLL.toMillis()); // the moves are other operations: poll their records
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return; // the coordinator is closing: a leader resumes it
      }
    }
  }

  /** Starts the move (or stop) of one container; its new entry. */
  private Map<String, String> begin(OperationRecord op, Move m, String toHost) {
    try {
      OperationRecord child;
      if (Boolean.parseBoolean(op.param(STOP))) {
        child = operations.begin(OperationRecord.Kind.STOP, m.container(), ContainerRecord.Desired.STOPPED, Map.of());
      } else {
        child = operations.migrate(MigrateRequest.newBuilder().setName(m.container()).setTargetHost(toHost)
            .setMode(MigrationMode.valueOf(op.param(MODE))).build());
      }
      log.info("{} of host {}: {} is moving ({})", op.kind().label(), op.target(), m.container(), child.id());
      return entry(m.container(), ContainerMove.State.STATE_MOVING, child.id(), m.from(), "", "");
    } catch (CoordinatorException e) {
      ContainerMove.State state = e.kind() == Kind.NOT_FOUND ? ContainerMove.State.STATE_SKIPPED : ContainerMove.State.STATE_FAILED;
      log.warn("{} of host {}: {} cannot move: {}", op.kind().label(), op.target(), m.container(), e.getMessage());
      return entry(m.container(), state, "", m.from(), "", e.kind() + ": " + e.getMessage());
    }
  }

  /** The new entry of a moving container whose own operation ended; empty while it runs. */
  private Optional<Map<String, String>> finished(Move m) {
    Optional<OperationRecord> child = store.operationNow(m.op());
    if (child.isPresent() && !child.get().state().isFinal()) {
      return Optional.empty();
    }
    Optional<ContainerRecord> now = store.containerNow(m.container()).map(Versioned::value);
    if (child.isEmpty()) {
      // Ended and pruned: judge by where the container is.
      boolean away = now.map(c -> !c.host().equals(m.from())).orElse(false);
      return Optional.of(entry(m.container(), away ? ContainerMove.State.STATE_MOVED : ContainerMove.State.STATE_FAILED, m.op(),
          m.from(), now.map(ContainerRecord::host).orElse(""), away ? "" : "its operation " + m.op() + " is gone"));
    }
    OperationRecord ended = child.get();
    if (ended.state() == OperationRecord.State.SUCCEEDED) {
      ContainerMove.State state = ended.kind() == OperationRecord.Kind.STOP ? ContainerMove.State.STATE_STOPPED : ContainerMove.State.STATE_MOVED;
      return Optional.of(entry(m.container(), state, m.op(), m.from(), now.map(ContainerRecord::host).orElse(""), ""));
    }
    String why = ended.state() == OperationRecord.State.CANCELLED ? "its operation was cancelled" : ended.error();
    int attempts = m.attempts();
    boolean stillThere = now.map(c -> c.host().equals(m.from())).orElse(false);
    if (ended.state() == OperationRecord.State.FAILED && why.startsWith("ABORTED") && stillThere && attempts < MAX_ATTEMPTS) {
      // Rolled back, not refused (a coordinator died mid-move, a stream broke): the container runs
      // where it was, so moving it again is safe.
      log.info("{}: the move of {} was rolled back ({}); trying again", m.op(), m.container(), why);
      Map<String, String> again = entry(m.container(), ContainerMove.State.STATE_PENDING, "", m.from(), "", "trying again after: " + why);
      again.put(PREFIX + m.container() + ".attempts", Integer.toString(attempts + 1));
      return Optional.of(again);
    }
    return Optional.of(entry(m.container(), ContainerMove.State.STATE_FAILED, m.op(), m.from(), "", why));
  }

  private void finish(OperationRecord op, List<Move> moves, Runnable requireLeader) {
    List<String> failed = new ArrayList<>();
    for (Move m : moves) {
      if (m.state() == ContainerMove.State.STATE_FAILED) {
        failed.add(m.container() + ": " + m.detail());
      }
    }
    requireLeader.run();
    OperationRecord ended;
    if (op.cancelRequested()) {
      ended = op.cancelled(clock.millis());
    } else if (failed.isEmpty()) {
      ended = op.succeeded(clock.millis());
    } else {
      ended = op.failed("FAILED_PRECONDITION: " + failed.size() + " of " + moves.size() + " containers did not move: "
          + String.join("; ", failed), clock.millis());
    }
    store.updateOperation(ended);
    log.info("{} of host {} ended {}: {} containers, {} failed", op.kind().label(), op.target(), ended.state(), moves.size(),
        failed.size());
  }

  private OperationRecord persist(OperationRecord op, Map<String, String> changes, Runnable requireLeader) {
    if (changes.isEmpty()) {
      return op;
    }
    OperationRecord next = op.withParams(changes, clock.millis());
    List<Move> moves = moves(next);
    long done = moves.stream().filter(m -> m.state() != ContainerMove.State.STATE_PENDING && m.state() != ContainerMove.State.STATE_MOVING).count();
    int percent = moves.isEmpty() ? 100 : (int) (100 * done / moves.size());
    next = next.inPhase(done + " of " + moves.size() + " containers done", percent, clock.millis());
    requireLeader.run();
    store.updateOperation(next);
    return next;
  }

  private void awaitOnline(String host, Runnable requireLeader) {
    long deadline = System.nanoTime() + HOST_ONLINE_WAIT.toNanos();
    while (hosts.host(host).map(h -> h.status() != HostStatus.ONLINE).orElse(true)) {
      requireLeader.run();
      if (System.nanoTime() > deadline) {
        throw new CoordinatorException(Kind.UNAVAILABLE, "host " + host + " is not online " + HOST_ONLINE_WAIT.toSeconds()
            + " s after it was enabled");
      }
      try {
        TimeUnit.MILLISECONDS.sleep(POLL.toMillis()); // the membership notification arrives on its own
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CoordinatorException(Kind.UNAVAILABLE, "interrupted");
      }
    }
  }

  // ---- the per-container entries in the params ----

  /** One container's entry, as the params hold it. */
  record Move(String container, ContainerMove.State state, String op, String from, String to, String detail, int attempts) {
    ContainerMove toProto() {
      return ContainerMove.newBuilder().setContainer(container).setState(state).setOperationId(op).setFromHost(from)
          .setToHost(to).setDetail(detail).build();
    }
  }

  static Map<String, String> entry(String container, ContainerMove.State state, String op, String from, String to, String detail) {
    String k = PREFIX + container + ".";
    Map<String, String> e = new LinkedHashMap<>();
    e.put(k + "state", state.name());
    e.put(k + "op", op);
    e.put(k + "from", from);
    e.put(k + "to", to);
    e.put(k + "detail", detail);
    return e;
  }

  /** The containers of an evacuation or restore, by name. */
  static List<Move> moves(OperationRecord op) {
    List<Move> out = new ArrayList<>();
    for (String key : new TreeSet<>(op.params().keySet())) {
      if (key.startsWith(PREFIX) && key.endsWith(".state")) {
        String name = key.substring(PREFIX.length(), key.length() - ".state".length());
        String k = PREFIX + name + ".";
        String attempts = op.param(k + "attempts");
        out.add(new Move(name, ContainerMove.State.valueOf(op.param(key)), op.param(k + "op"), op.param(k + "from"),
            op.param(k + "to"), op.param(k + "detail"), attempts == null || attempts.isEmpty() ? 0 : Integer.parseInt(attempts)));
      }
    }
    return out;
  }

  /** The report the API shows for an evacuation or restore. */
  public static EvacuationReport report(OperationRecord op) {
    EvacuationReport.Builder report = EvacuationReport.newBuilder();
    moves(op).forEach(m -> report.addMoves(m.toProto()));
    return report.build();
  }
}
