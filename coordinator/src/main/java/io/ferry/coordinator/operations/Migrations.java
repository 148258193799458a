package io.ferry.coordinator.operations;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.common.Names;
import io.ferry.coordinator.CoordinatorException;
import io.ferry.coordinator.CoordinatorException.Kind;
import io.ferry.coordinator.hosts.AgentClients;
import io.ferry.coordinator.hosts.HostDirectory;
import io.ferry.coordinator.placement.ClusterSnapshot;
import io.ferry.coordinator.placement.HostState;
import io.ferry.coordinator.placement.PlacementDecision;
import io.ferry.coordinator.placement.PlacementRequest;
import io.ferry.coordinator.placement.Placer;
import io.ferry.coordinator.store.ClusterStore;
import io.ferry.coordinator.store.ContainerRecord;
import io.ferry.coordinator.store.OperationRecord;
import io.ferry.coordinator.store.Reservations;
import io.ferry.coordinator.store.Versioned;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerRef;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.CriuFeature;
import io.ferry.proto.v1.CriuInfo;
import io.ferry.proto.v1.GetHostInfoRequest;
import io.ferry.proto.v1.MigrateOutRequest;
import io.ferry.proto.v1.MigrateRequest;
import io.ferry.proto.v1.MigrationMode;
import io.ferry.proto.v1.MigrationPhase;
import io.ferry.proto.v1.MigrationProgress;
import io.ferry.proto.v1.MigrationRef;
import io.ferry.proto.v1.MigrationStatus;
import io.ferry.proto.v1.PrepareIncomingRequest;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves containers between hosts: the coordinator's half of a migration (the agents' half is
 * {@code MigrationService}, see migration.proto). The leader checks and reserves synchronously,
 * so a migration that cannot happen is refused with FAILED_PRECONDITION and a reason before any
 * operation runs; then the {@link OperationRunner} drives it through its steps, each persisted in
 * the operation's params before it is taken, so a new leader resumes it where it was.
 *
 * <pre>
 *   RESERVING --> RESERVED --> PREPARED --> SENDING --> COMMITTING --> (succeeded)
 *       |             |            |           |
 *       `-------------`------------`-----------`------> ABORTING ----> (failed / cancelled)
 * </pre>
 *
 * <ul>
 *   <li>RESERVING: room for the container is reserved on the target, beside its placement on the
 *       source ({@link ClusterStore#reserveIncoming}).
 *   <li>RESERVED: the target prepares (PrepareIncoming: holds the name, checks what it can).
 *   <li>PREPARED, SENDING: the source sends (MigrateOut), reporting progress; it ends once the
 *       target runs the container, the source's copy stopped or frozen. A source that fails rolls
 *       back by itself. A leader that finds a migration in SENDING (its predecessor died, or the
 *       stream broke) asks the agents: the target running it means commit; the source having
 *       rolled back, or the target not having it, means abort; an agent that cannot be reached
 *       means wait (the operation stays RUNNING and is tried again on the next upkeep round).
 *   <li>COMMITTING: the source deletes its copy, the target forgets its journal, and the store
 *       places the container on the target, giving the source's room back.
 *   <li>ABORTING: the target discards what it received, then the source resumes its copy; the
 *       store gives the target's room back.
 * </ul>
 *
 * <p>Safety: the store's placement moves only after the target confirmed a running copy and the
 * source deleted its own; an abort reaches the target before the source, so there are never two
 * running copies. A step whose agent is unreachable is retried, never skipped.
 *
 * <p>Thread-safe: {@link #begin} runs on API threads of the leader, {@link #execute} on the
 * runner's pool, one thread per migration.
 */
public final class Migrations {

  private static final Logger log = LoggerFactory.getLogger(Migrations.class);

  static final String SOURCE = "source";
  static final String TARGET = "target";
  static final String MODE = "mode";
  static final String TCP = "tcp";
  static final String TOKEN = "token";
  static final String STEP = "step";
  /** The latest {@code MigrationProgress}, base64 of its bytes. */
  public static final String PROGRESS = "progress";
  /** Why a migration is being rolled back ("CODE: message"), from the step that decided it. */
  static final String FAILURE = "failure";

  /** How long a host may take to answer a migration's control call. */
  private static final Duration CONTROL_TIMEOUT = Duration.ofSeconds(30);
  /** How often progress is written to the store at most (phase changes are always written). */
  private static final Duration PROGRESS_INTERVAL = Duration.ofMillis(500);
  private static final int ATTEMPTS = 4;

  /** The persisted steps; see the class comment. */
  enum Step {
    RESERVING,
    RESERVED,
    PREPARED,
    SENDING,
    COMMITTING,
    ABORTING;

    private static final Map<Step, Set<Step>> NEXT =
        Map.of(
            RESERVING, Set.of(RESERVED, ABORTING),
            RESERVED, Set.of(PREPARED, ABORTING),
            PREPARED, Set.of(SENDING, ABORTING),
            SENDING, Set.of(COMMITTING, ABORTING),
            COMMITTING, Set.of(),
            ABORTING, Set.of());

    boolean mayBecome(Step next) {
      return NEXT.get(this).contains(next);
    }
  }

  /** The migration's end was decided: commit or abort with a reason. */
  private sealed interface Outcome {
    record Commit(MigrationProgress last) implements Outcome {}

    record Abort(String why, boolean cancelled) implements Outcome {}
  }

  private final ClusterStore store;
  private final HostDirectory hosts;
  private final AgentClients agents;
  private final Clock clock;
  private final Duration transferTimeout;
  private final Duration retryDelay;
  private final Placer placer = new Placer();
  private final SecureRandom random = new SecureRandom();

  public Migrations(ClusterStore store, HostDirectory hosts, AgentClients agents, Clock clock, Duration transferTimeout, Duration retryDelay) {
    this.store = store;
    this.hosts = hosts;
    this.agents = agents;
    this.clock = clock;
    this.transferTimeout = transferTimeout;
    this.retryDelay = retryDelay;
  }

  // ---- begin: on an API thread of the leader ----

  /**
   * Checks, reserves and prepares a migration, and records it as a RUNNING operation to hand to
   * the runner. Nothing is left reserved when it throws.
   *
   * @param claim told the operation's id just before it is recorded (the runner's {@code claim})
   * @throws CoordinatorException NOT_FOUND (no such container or host), CONFLICT (the container is
   *     busy), INVALID_ARGUMENT (bad name or mode), FAILED_PRECONDITION with a reason (the target
   *     is the source, is not online, lacks room, refuses; the mode is not possible on these hosts;
   *     the container's state does not allow the mode)
   * @throws ClusterStore.ConflictException when the container's record changed between its read
   *     and the operation's write (nothing written: the caller may read it again and retry)
   */
  public OperationRecord begin(MigrateRequest request, java.util.function.Consumer<String> claim) {
    if (!request.getTargetHost().isEmpty()) {
      Names.require("host", request.getTargetHost());
    }
    if (request.getModeValue() < 0 || request.getMode() == MigrationMode.UNRECOGNIZED) {
      throw new CoordinatorException(Kind.INVALID_ARGUMENT, "unknown migration mode " + request.getModeValue());
    }
    Versioned<ContainerRecord> current = ContainerOperations.existing(store, request.getName());
    ContainerRecord container = current.value();
    ContainerOperations.requireIdle(store, container);
    Container observed = observed(container)
        .orElseThrow(() -> new CoordinatorException(Kind.FAILED_PRECONDITION, "container " + container.name() + " has not been seen on its host yet"));
    MigrationMode mode = modeFor(request.getMode(), observed);
    String target = chooseTarget(container, observed, request.getTargetHost());
    checkHosts(mode, container.host(), target);
    boolean tcp = request.hasTcpEstablished() ? request.getTcpEstablished() : mode != MigrationMode.MIGRATION_MODE_COLD && mode != MigrationMode.MIGRATION_MODE_NEAR_LIVE;

    long now = clock.millis();
    Map<String, String> params =
        Map.of(SOURCE, container.host(), TARGET, target, MODE, mode.name(), TCP, Boolean.toString(tcp), TOKEN, token(), STEP, Step.RESERVING.name());
    OperationRecord op =
        OperationRecord.started(OperationIds.next(clock), OperationRecord.Kind.MIGRATE, container.name(), "reserving room on " + target, params, now);
    // Claimed before it is recorded: the leader's upkeep must not start a second run meanwhile.
    claim.accept(op.id());
    store.startOperation(op, container.withOperation(op.id(), now), current.version());
    try {
      op = reserve(op, container);
      op = prepare(op, container, observed);
    } catch (CoordinatorException refused) {
      store.abortMove(container.name(), op.failed(refused.kind() + ": " + refused.getMessage(), clock.millis()), clock.millis());
      throw refused;
    } catch (RuntimeException e) {
      // The operation stays RUNNING at its step: the runner takes it from there.
      log.warn("migration {} of {}: {} failed, the runner goes on from there: {}", op.id(), container.name(), op.param(STEP), e.toString());
    }
    log.info("migration {} of {} from {} to {} ({}) begins", op.id(), container.name(), container.host(), target, mode);
    return op;
  }

  private static MigrationMode modeFor(MigrationMode asked, Container observed) {
    MigrationMode mode = asked == MigrationMode.MIGRATION_MODE_UNSPECIFIED ? MigrationMode.MIGRATION_MODE_AUTO : asked;
    ContainerState state = observed.getState();
    boolean running = state == ContainerState.CONTAINER_STATE_RUNNING;
    if (running || state == ContainerState.CONTAINER_STATE_FROZEN) {
      return mode;
    }
    if (state == ContainerState.CONTAINER_STATE_STOPPED && (mode == MigrationMode.MIGRATION_MODE_AUTO || mode == MigrationMode.MIGRATION_MODE_COLD)) {
      return MigrationMode.MIGRATION_MODE_COLD;
    }
    throw new CoordinatorException(
        Kind.FAILED_PRECONDITION,
        "container " + observed.getSpec().getName() + " is " + label(state) + ": a " + label(mode) + " move needs it running"
            + (state == ContainerState.CONTAINER_STATE_STOPPED ? " (a stopped container moves cold)" : ""));
  }

  /** The named target, checked; or the host placement prefers among the others. */
  private String chooseTarget(ContainerRecord container, Container observed, String named) {
    if (named.equals(container.host())) {
      throw new CoordinatorException(Kind.FAILED_PRECONDITION, "container " + container.name() + " already runs on " + named);
    }
    if (!named.isEmpty() && hosts.host(named).isEmpty()) {
      throw new CoordinatorException(Kind.NOT_FOUND, "no host " + named + " in the cluster");
    }
    List<HostState> others = hosts.snapshot().hosts().stream().filter(h -> !h.name().equals(container.host())).toList();
    PlacementRequest request = PlacementRequest.of(container.name(), container.reserved()).withRequiredLabels(container.requiredLabels());
    if (!container.antiAffinityGroup().isEmpty()) {
      request = request.withAntiAffinityGroup(container.antiAffinityGroup());
    }
    if (!observed.getImageDigest().isEmpty()) {
      request = request.withImage(observed.getImageDigest());
    }
    if (!named.isEmpty()) {
      request = request.withTargetHost(named);
    }
    PlacementDecision decision = placer.place(new ClusterSnapshot(others), request);
    if (decision instanceof PlacementDecision.Placed placed) {
      return placed.host();
    }
    throw new CoordinatorException(Kind.FAILED_PRECONDITION, "no host can take " + container.name() + ": " + Launcher.reasons(decision.verdicts()));
  }

  /** Refuses a mode the two hosts' CRIU or kernel cannot do. */
  private void checkHosts(MigrationMode mode, String source, String target) {
    boolean live = mode == MigrationMode.MIGRATION_MODE_LIVE || mode == MigrationMode.MIGRATION_MODE_POST_COPY || mode == MigrationMode.MIGRATION_MODE_PRE_COPY;
    if (!live) {
      return;
    }
    for (String host : List.of(source, target)) {
      CriuInfo criu = hostInfo(host).getCriu();
      if (!criu.getAvailable() || !criu.getCheckPassed()) {
        throw new CoordinatorException(Kind.FAILED_PRECONDITION,
            "a " + label(mode) + " move needs a working CRIU on both hosts; " + host + " has none: " + criu.getDetail());
      }
      if (mode == MigrationMode.MIGRATION_MODE_PRE_COPY) {
        requireFeature(criu, host, "mem_dirty_track", mode);
      }
      if (mode == MigrationMode.MIGRATION_MODE_POST_COPY && host.equals(target)) {
        requireFeature(criu, host, "uffd-noncoop", mode);
      }
    }
  }

  private static void requireFeature(CriuInfo criu, String host, String feature, MigrationMode mode) {
    Optional<CriuFeature> found = criu.getFeaturesList().stream().filter(f -> f.getName().equals(feature)).findFirst();
    if (found.isEmpty() || !found.get().getSupported()) {
      throw new CoordinatorException(Kind.FAILED_PRECONDITION,
          "a " + label(mode) + " move needs CRIU's " + feature + " on " + host + ", which lacks it"
              + found.map(f -> f.getDetail().isEmpty() ? "" : ": " + f.getDetail()).orElse(""));
    }
  }

  private io.ferry.proto.v1.HostInfo hostInfo(String host) {
    try {
      return agents.blocking(host, CONTROL_TIMEOUT).getHostInfo(GetHostInfoRequest.getDefaultInstance()).getHost();
    } catch (StatusRuntimeException e) {
      throw new CoordinatorException(Kind.UNAVAILABLE, "cannot ask host " + host + " what it supports: " + e.getStatus().getDescription());
    }
  }

  // ---- the steps: on the runner's pool ----

  /**
   * Drives a recorded migration from its persisted step to its end. Returns normally when the
   * operation ended or was left for a later attempt (an agent unreachable: the operation stays
   * RUNNING); throws {@link OperationRunner}'s LostLeadership when this coordinator stops leading.
   */
  void execute(OperationRecord start, Runnable requireLeader) {
    OperationRecord op = start;
    Optional<Versioned<ContainerRecord>> found = store.containerNow(op.target());
    if (found.isEmpty()) {
      requireLeader.run();
      store.updateOperation(op.failed("NOT_FOUND: container " + op.target() + " is not in the cluster", clock.millis()));
      return;
    }
    ContainerRecord container = found.get().value();
    try {
      Step step = step(op);
      if (step == Step.RESERVING) {
        requireLeader.run();
        op = reserve(op, container);
        step = Step.RESERVED;
      }
      if (step == Step.RESERVED) {
        requireLeader.run();
        op = prepare(op, container, observed(container).orElse(Container.getDefaultInstance()));
        step = Step.PREPARED;
      }
      Outcome outcome;
      if (step == Step.PREPARED) {
        op = advance(op, Step.SENDING, "sending to " + op.param(TARGET), 5, requireLeader);
        outcome = send(op, requireLeader);
      } else if (step == Step.SENDING) {
        outcome = settle(op);
      } else if (step == Step.COMMITTING) {
        outcome = new Outcome.Commit(progress(op).orElse(MigrationProgress.getDefaultInstance()));
      } else {
        outcome = new Outcome.Abort(op.param(FAILURE), op.cancelRequested());
      }
      if (outcome instanceof Outcome.Commit commit) {
        if (step(op) != Step.COMMITTING) {
          op = advance(op.withParams(Map.of(PROGRESS, encode(commit.last())), clock.millis()), Step.COMMITTING, "committing on " + op.param(TARGET), 95, requireLeader);
        }
        commit(op, requireLeader);
      } else {
        abort(op, (Outcome.Abort) outcome, requireLeader);
      }
    } catch (CoordinatorException refused) {
      // Refused before anything was sent (reserve or prepare): give the room back.
      abort(op, new Outcome.Abort(refused.kind() + ": " + refused.getMessage(), false), requireLeader);
    } catch (StatusRuntimeException e) {
      log.warn("migration {} of {} waits: {} (tried again on the next upkeep round)", op.id(), op.target(), OperationRunner.describe(e));
    }
  }

  private OperationRecord reserve(OperationRecord op, ContainerRecord container) {
    String target = op.param(TARGET);
    OperationRecord reserved = op.withParams(Map.of(STEP, Step.RESERVED.name()), clock.millis()).inPhase("preparing " + target, 2, clock.millis());
    Reservations.Outcome outcome = store.reserveIncoming(container, target, reserved);
    if (outcome instanceof Reservations.Outcome.Insufficient insufficient) {
      throw new CoordinatorException(Kind.FAILED_PRECONDITION, "the target lacks room: " + insufficient.reason());
    }
    return reserved;
  }

  private OperationRecord prepare(OperationRecord op, ContainerRecord container, Container observed) {
    String target = op.param(TARGET);
    PrepareIncomingRequest request =
        PrepareIncomingRequest.newBuilder()
            .setMigrationId(op.id())
            .setSpec(ContainerWork.spec(container))
            .setImageDigest(observed.getImageDigest())
            // The cluster's address when it gave one; else what the source host leased itself.
            .setNetwork(container.clusterAddress().isPresent() ? ContainerWork.network(container) : observed.getNetwork())
            .setMode(MigrationMode.valueOf(op.param(MODE)))
            .setSourceAddress(agents.address(op.param(SOURCE)))
            .setSourceHost(op.param(SOURCE))
            .setToken(op.param(TOKEN))
            .build();
    try {
      withRetries(() -> agents.migration(target, CONTROL_TIMEOUT).prepareIncoming(request));
    } catch (StatusRuntimeException e) {
      Status.Code code = e.getStatus().getCode();
      if (code == Status.Code.FAILED_PRECONDITION || code == Status.Code.ALREADY_EXISTS || code == Status.Code.INVALID_ARGUMENT
          || code == Status.Code.NOT_FOUND || code == Status.Code.RESOURCE_EXHAUSTED || code == Status.Code.UNIMPLEMENTED) {
        throw new CoordinatorException(Kind.FAILED_PRECONDITION, "host " + target + " cannot take " + container.name() + ": " + e.getStatus().getDescription());
      }
      throw e;
    }
    OperationRecord prepared = op.withParams(Map.of(STEP, Step.PREPARED.name()), clock.millis()).inPhase("prepared on " + target, 4, clock.millis());
    store.updateOperation(prepared);
    return prepared;
  }

  /** Runs MigrateOut on the source, recording its progress, until it ends. */
  private Outcome send(OperationRecord start, Runnable requireLeader) {
    OperationRecord[] op = {start};
    MigrateOutRequest request =
        MigrateOutRequest.newBuilder()
            .setMigrationId(start.id())
            .setName(start.target())
            .setTargetAddress(agents.address(start.param(TARGET)))
            .setMode(MigrationMode.valueOf(start.param(MODE)))
            .setTcpEstablished(Boolean.parseBoolean(start.param(TCP)))
            .setToken(start.param(TOKEN))
            .build();
    Context.CancellableContext call = Context.current().withCancellation();
    MigrationProgress[] last = {MigrationProgress.getDefaultInstance()};
    long[] written = {0};
    try {
      call.run(
          () -> {
            Iterator<MigrationProgress> stream =
                agents.migration(start.param(SOURCE), transferTimeout).migrateOut(request);
            while (stream.hasNext()) {
              MigrationProgress progress = stream.next();
              boolean phaseChanged = progress.getPhase() != last[0].getPhase();
              last[0] = progress;
              long now = clock.millis();
              if (phaseChanged || now - written[0] >= PROGRESS_INTERVAL.toMillis() || progress.hasResult()) {
                requireLeader.run();
                if (store.operation(start.id()).map(OperationRecord::cancelRequested).orElse(false)) {
                  op[0] = op[0].withCancelRequested(now);
                  call.cancel(null);
                  return;
                }
                op[0] = op[0].withParams(Map.of(PROGRESS, encode(progress)), now).inPhase(describe(progress), percent(progress), now);
                store.updateOperation(op[0]);
                written[0] = now;
              }
            }
          });
    } catch (StatusRuntimeException e) {
      if (op[0].cancelRequested()) {
        return settleCancelled(op[0]);
      }
      if (e.getStatus().getCode() == Status.Code.UNAVAILABLE || e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED) {
        // The source may still be at it, or may have finished: ask both sides.
        log.warn("migration {}: lost the source's stream ({}); asking the hosts how it ended", start.id(), OperationRunner.describe(e));
        return settle(op[0]);
      }
      return new Outcome.Abort(OperationRunner.describe(e), false);
    } finally {
      call.cancel(null);
    }
    if (op[0].cancelRequested()) {
      return settleCancelled(op[0]);
    }
    if (last[0].getPhase() == MigrationPhase.MIGRATION_PHASE_AWAITING_COMMIT) {
      return new Outcome.Commit(last[0]);
    }
    return settle(op[0]);
  }

  /** After a cancel: abort unless the target already runs the container (then commit). */
  private Outcome settleCancelled(OperationRecord op) {
    Outcome settled = settle(op);
    return settled instanceof Outcome.Abort ? new Outcome.Abort("cancelled by request", true) : settled;
  }

  /**
   * Decides a migration whose stream ended without a verdict, from what the agents say: the
   * target running the container commits; otherwise, once the source has stopped working on it,
   * abort. Waits (polling) while the source is still at work, up to the transfer timeout.
   *
   * @throws StatusRuntimeException UNAVAILABLE when a host cannot be asked (try again later)
   */
  private Outcome settle(OperationRecord op) {
    long deadline = System.nanoTime() + transferTimeout.toNanos();
    MigrationRef ref = MigrationRef.newBuilder().setMigrationId(op.id()).build();
    while (true) {
      Optional<MigrationStatus> target = status(op.param(TARGET), ref);
      if (target.isPresent() && running(target.get().getPhase())) {
        return new Outcome.Commit(progress(op).orElse(MigrationProgress.getDefaultInstance()).toBuilder()
            .setPhase(MigrationPhase.MIGRATION_PHASE_AWAITING_COMMIT)
            .setResult(target.get().getResult())
            .build());
      }
      Optional<MigrationStatus> source = status(op.param(SOURCE), ref);
      // A source IN_DOUBT waits for exactly this answer: the target, reachable, does not run it.
      boolean sourceDone = source.isEmpty() || source.get().getPhase() == MigrationPhase.MIGRATION_PHASE_ABORTED
          || source.get().getPhase() == MigrationPhase.MIGRATION_PHASE_IN_DOUBT;
      if (sourceDone) {
        String detail = source.map(MigrationStatus::getDetail).filter(d -> !d.isEmpty()).orElse("the transfer did not finish");
        return new Outcome.Abort("ABORTED: " + detail, false);
      }
      if (System.nanoTime() > deadline) {
        return new Outcome.Abort("DEADLINE_EXCEEDED: the source did not finish within " + transferTimeout.toSeconds() + " s", false);
      }
      pause(retryDelay);
    }
  }

  private static boolean running(MigrationPhase phase) {
    return phase == MigrationPhase.MIGRATION_PHASE_AWAITING_COMMIT || phase == MigrationPhase.MIGRATION_PHASE_COMMITTED;
  }

  /** This host's view of the migration; empty when it has no journal of it. */
  private Optional<MigrationStatus> status(String host, MigrationRef ref) {
    try {
      return Optional.of(withRetries(() -> agents.migration(host, CONTROL_TIMEOUT).getMigration(ref)));
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return Optional.empty();
      }
      throw e;
    }
  }

  private void commit(OperationRecord op, Runnable requireLeader) {
    MigrationRef ref = MigrationRef.newBuilder().setMigrationId(op.id()).build();
    String source = op.param(SOURCE);
    String target = op.param(TARGET);
    withRetries(() -> agents.migration(source, CONTROL_TIMEOUT).commitMigration(ref));
    withRetries(() -> agents.migration(target, CONTROL_TIMEOUT).commitMigration(ref));
    Optional<byte[]> observed = Optional.empty();
    try {
      observed = Optional.of(withRetries(() -> agents.blocking(target).getContainer(ContainerRef.newBuilder().setName(op.target()).build())).toByteArray());
    } catch (StatusRuntimeException e) {
      log.warn("migration {}: cannot read {} on {} after the commit: {}", op.id(), op.target(), target, OperationRunner.describe(e));
    }
    requireLeader.run();
    store.commitMove(op.target(), target, op.succeeded(clock.millis()), observed, clock.millis());
    log.info("migration {} of {} to {} committed", op.id(), op.target(), target);
  }

  /** Records ABORTING with its reason (unless already there), then rolls back. */
  private void abort(OperationRecord start, Outcome.Abort why, Runnable requireLeader) {
    OperationRecord op = step(start) == Step.ABORTING
        ? start
        : advance(start.withParams(Map.of(FAILURE, why.why()), clock.millis()), Step.ABORTING, "rolling back", start.progressPercent(), requireLeader);
    MigrationRef ref = MigrationRef.newBuilder().setMigrationId(op.id()).build();
    // The target first: once it holds nothing, the source may resume.
    ignoreNotFound(() -> withRetries(() -> agents.migration(op.param(TARGET), CONTROL_TIMEOUT).abortMigration(ref)));
    ignoreNotFound(() -> withRetries(() -> agents.migration(op.param(SOURCE), CONTROL_TIMEOUT).abortMigration(ref)));
    requireLeader.run();
    OperationRecord ended = why.cancelled() ? op.cancelled(clock.millis()) : op.failed(why.why(), clock.millis());
    store.abortMove(op.target(), ended, clock.millis());
    log.info("migration {} of {} rolled back: {}", op.id(), op.target(), why.why());
  }

  // ---- helpers ----

  private OperationRecord advance(OperationRecord op, Step next, String phase, int percent, Runnable requireLeader) {
    Step now = step(op);
    if (!now.mayBecome(next)) {
      throw new IllegalStateException("migration " + op.id() + " cannot go from " + now + " to " + next);
    }
    requireLeader.run();
    OperationRecord moved = op.withParams(Map.of(STEP, next.name()), clock.millis()).inPhase(phase, percent, clock.millis());
    store.updateOperation(moved);
    log.info("migration {} of {}: {} -> {}", op.id(), op.target(), now, next);
    return moved;
  }

  static Step step(OperationRecord op) {
    return Step.valueOf(op.param(STEP));
  }

  /** The latest progress recorded in {@code op}, if any. */
  public static Optional<MigrationProgress> progress(OperationRecord op) {
    String encoded = op.param(PROGRESS);
    if (encoded.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(MigrationProgress.parseFrom(Base64.getDecoder().decode(encoded)));
    } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static String encode(MigrationProgress progress) {
    return Base64.getEncoder().encodeToString(progress.toByteArray());
  }

  private static String describe(MigrationProgress p) {
    String phase = label(p.getPhase());
    if (p.getBytesTotal() > 0) {
      return phase + " " + (p.getBytesSent() >> 20) + "/" + (p.getBytesTotal() >> 20) + " MiB";
    }
    return phase;
  }

  private static int percent(MigrationProgress p) {
    int base = 5 + Math.min(p.getPhase().getNumber(), 9) * 10;
    return Math.min(94, base);
  }

  private static String label(Enum<?> value) {
    String name = value.name();
    int cut = name.indexOf('_', name.indexOf('_') + 1);
    return name.substring(cut + 1).toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private static Optional<Container> observed(ContainerRecord container) {
    if (container.observed().length == 0) {
      return Optional.empty();
    }
    try {
      return Optional.of(Container.parseFrom(container.observed()));
    } catch (InvalidProtocolBufferException e) {
      return Optional.empty();
    }
  }

  private String token() {
    byte[] bytes = new byte[24];
    random.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  private <T> T withRetries(java.util.function.Supplier<T> call) {
    for (int attempt = 1; ; attempt++) {
      try {
        return call.get();
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || attempt >= ATTEMPTS) {
          throw e;
        }
        pause(retryDelay.multipliedBy(attempt));
      } catch (CoordinatorException e) {
        if (e.kind() != Kind.UNAVAILABLE || attempt >= ATTEMPTS) {
          throw Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException();
        }
        pause(retryDelay.multipliedBy(attempt));
      }
    }
  }

  private static void ignoreNotFound(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
        throw e;
      }
    }
  }

  private static void pause(Duration delay) {
    try {
      Thread.sleep(delay.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
    }
  }
}
