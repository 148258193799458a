package io.ferry.migration.source;

import io.ferry.migration.protocol.Journal;
import io.ferry.migration.protocol.JournalStore;
import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationException.Kind;
import io.ferry.migration.protocol.MigrationSettings;
import io.ferry.migration.protocol.Mode;
import io.ferry.migration.protocol.Outcome;
import io.ferry.migration.protocol.Phase;
import io.ferry.migration.protocol.Result;
import io.ferry.migration.protocol.Role;
import io.ferry.migration.transfer.TarStreams;
import java.time.Clock;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source side of this agent's migrations: starts them (MigrateOut), holds the copies of those
 * waiting for the coordinator, commits (deletes the copy) or aborts (resumes it), and settles on
 * its own what it safely can.
 *
 * <p>Held copies: from MigrateOut until commit or abort, the container is held by its migration
 * (no other operation runs on it). After AWAITING_COMMIT it stays frozen with its link down (live
 * modes) or stopped (cold, near-live).
 *
 * <p>Settling without the coordinator (every {@link MigrationSettings#resolveInterval()}): an
 * IN_DOUBT migration asks the target: if it runs the container, AWAITING_COMMIT; if the target
 * acknowledges an abort, the copy here resumes. An AWAITING_COMMIT migration whose target reports
 * ABORTED (the coordinator aborted the target and then vanished) resumes here too. Nothing else is
 * decided here: if no coordinator ever answers, a migration awaiting commit keeps its frozen copy
 * (its memory and its name) for as long as the agent lives, and an operator settles it with
 * CommitMigration or AbortMigration.
 *
 * <p>Threading: thread-safe. Transfers run on {@code workers}; control calls on one migration are
 * serialised on its {@link Held} entry.
 */
public final class SourceMigrations implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SourceMigrations.class);

  private static final Set<Phase> CONFIRMED = EnumSet.of(Phase.AWAITING_COMMIT, Phase.COMMITTED);
  /** Target phases in which it runs, or may run, the container. */
  private static final Set<Phase> TARGET_MAY_RUN =
      EnumSet.of(Phase.RESTORING, Phase.TRANSFERRING_MEMORY, Phase.AWAITING_COMMIT, Phase.COMMITTED);

  private final JournalStore store;
  private final SourceHost host;
  private final TargetPeers peers;
  private final MigrationSettings settings;
  private final Clock clock;
  private final TarStreams tar;
  private final ExecutorService workers;
  private final ScheduledExecutorService timer;
  private final Map<String, Held> held = new ConcurrentHashMap<>();

  /** One migration this side holds a container for. */
  private static final class Held {
    final SourceContainer container;
    final TargetPeer peer;
    volatile Journal journal;
    volatile OutgoingMigration running;
    final CompletableFuture<Void> transferDone = new CompletableFuture<>();

    Held(Journal journal, SourceContainer container, TargetPeer peer) {
      this.journal = journal;
      this.container = container;
      this.peer = peer;
    }
  }

  /**
   * @param workers runs transfers (bounded: a full pool refuses MigrateOut with RESOURCE_EXHAUSTED)
   * @param timer runs the periodic settling
   */
  public SourceMigrations(
      JournalStore store, SourceHost host, TargetPeers peers, MigrationSettings settings, Clock clock, TarStreams tar,
      ExecutorService workers, ScheduledExecutorService timer) {
    this.store = store;
    this.host = host;
    this.peers = peers;
    this.settings = settings;
    this.clock = clock;
    this.tar = tar;
    this.workers = workers;
    this.timer = timer;
  }

  /** Starts settling held migrations in the background. */
  public void start() {
    long every = settings.resolveInterval().toMillis();
    timer.scheduleWithFixedDelay(this::settleNow, every, every, TimeUnit.MILLISECONDS);
  }

  /**
   * MigrateOut: checks, takes the container, journals PREPARED, and starts the transfer.
   *
   * @param listener progress reports (called on the worker; must not block long)
   * @return completes with the measurements at AWAITING_COMMIT, or exceptionally with a {@link
   *     MigrationException} after the rollback (UNAVAILABLE when left IN_DOUBT)
   * @throws MigrationException INVALID_ARGUMENT, ALREADY_EXISTS (id in use), NOT_FOUND,
   *     FAILED_PRECONDITION (not running, busy), RESOURCE_EXHAUSTED (too many at once)
   */
  public CompletableFuture<Result> migrateOut(OutgoingRequest request, Consumer<Progress> listener) {
    JournalStore.requireValidId(request.id());
    if (request.token() == null || request.token().length() < 16) {
      throw new MigrationException(Kind.INVALID_ARGUMENT, "migration " + request.id() + ": a token of at least 16 characters is required");
    }
    if (request.target() == null || request.target().isEmpty()) {
      throw new MigrationException(Kind.INVALID_ARGUMENT, "migration " + request.id() + ": no target address");
    }
    if (request.mode() == null) {
      throw new MigrationException(Kind.INVALID_ARGUMENT, "migration " + request.id() + ": no mode");
    }
    if (held.containsKey(request.id()) || store.outcome(request.id(), Role.SOURCE).isPresent()
        || store.find(request.id(), Role.SOURCE).isPresent()) {
      throw new MigrationException(Kind.ALREADY_EXISTS, "migration " + request.id() + " is known here already");
    }
    SourceContainer container = host.take(request.container(), request.id(), true);
    TargetPeer peer;
    Held entry;
    try {
      peer = peers.open(request.target(), request.id(), request.token());
      Journal journal = store.save(Journal.source(request.id(), request.container(), request.mode(), request.token(),
          request.target(), request.tcpEstablished(), container.imageDigest(), clock.instant()));
      entry = new Held(journal, container, peer);
    } catch (RuntimeException e) {
      container.close();
      throw e;
    }
    OutgoingMigration migration = new OutgoingMigration(request, entry.journal, store, settings, clock, tar, container,
        host.capabilities(), peer, p -> {
          entry.journal = currentJournal(entry);
          listener.accept(p);
        });
    entry.running = migration;
    held.put(request.id(), entry);
    CompletableFuture<Result> result = new CompletableFuture<>();
    try {
      workers.execute(() -> runTransfer(entry, migration, result));
    } catch (RejectedExecutionException e) {
      held.remove(request.id());
      store.finish(entry.journal.moveTo(Phase.ROLLING_BACK, "too many migrations", clock.instant())
          .moveTo(Phase.ABORTED, "too many migrations at once", clock.instant()));
      peer.close();
      container.close();
      throw new MigrationException(Kind.RESOURCE_EXHAUSTED, "too many migrations at once on this host; retry later");
    }
    log.info("migration={} container={} to {} mode={} started", request.id(), request.container(), request.target(),
        request.mode().label());
    return result;
  }

  private static Journal currentJournal(Held entry) {
    OutgoingMigration running = entry.running;
    return running == null ? entry.journal : running.journal();
  }

  private void runTransfer(Held entry, OutgoingMigration migration, CompletableFuture<Result> result) {
    Result r = null;
    RuntimeException failure = null;
    try {
      r = migration.run();
    } catch (RuntimeException e) {
      failure = e;
    }
    // Settle the entry before anyone hears of the end: a commit may follow at once.
    synchronized (entry) {
      entry.journal = migration.journal();
      entry.running = null;
      if (failure != null && entry.journal.phase() == Phase.ABORTED) {
        release(entry);
      }
    }
    entry.transferDone.complete(null);
    if (failure == null) {
      result.complete(r);
    } else {
      result.completeExceptionally(failure);
    }
  }

  /**
   * The caller of MigrateOut went away: a transfer that has not asked the target to restore yet
   * stops and rolls back (the coordinator will find it ABORTED); later ones finish as usual.
   */
  public void callerGone(String id) {
    Held entry = held.get(id);
    OutgoingMigration running = entry == null ? null : entry.running;
    if (running != null && !running.journal().restoreSent()) {
      log.warn("migration={} the MigrateOut caller went away before the restore: rolling back", id);
      running.cancel();
    }
  }

  /** The migration's journal if it is unfinished here. */
  public Optional<Journal> journal(String id) {
    Held entry = held.get(id);
    if (entry != null) {
      return Optional.of(currentJournal(entry));
    }
    return store.find(id, Role.SOURCE);
  }

  public Optional<Outcome> outcome(String id) {
    return store.outcome(id, Role.SOURCE);
  }

  /**
   * CommitMigration on the source: deletes the copy here, once the target confirms it runs the
   * container. Committing an unknown migration succeeds (it was committed and forgotten).
   *
   * @throws MigrationException FAILED_PRECONDITION (still transferring, aborted, or the target does
   *     not run it), UNAVAILABLE (the target cannot confirm)
   */
  public Optional<Outcome> commit(String id) {
    Held entry = held.get(id);
    if (entry == null) {
      Optional<Outcome> outcome = outcome(id);
      if (outcome.isPresent() && outcome.get().phase() == Phase.ABORTED) {
        throw MigrationException.precondition("migration " + id + " was aborted: the container runs here");
      }
      return outcome;
    }
    synchronized (entry) {
      if (entry.running != null) {
        throw MigrationException.precondition("migration " + id + " is still transferring (phase " + currentJournal(entry).phase() + ")");
      }
      Phase phase = entry.journal.phase();
      if (phase != Phase.AWAITING_COMMIT && phase != Phase.IN_DOUBT) {
        throw MigrationException.precondition("migration " + id + " cannot commit in phase " + phase);
      }
      Optional<Phase> target = entry.peer.phase();
      if (target.isEmpty() || !CONFIRMED.contains(target.get())) {
        throw MigrationException.precondition("migration " + id + ": the target does not run the container (it reports "
            + target.map(Enum::name).orElse("no such migration") + "); the copy here is kept");
      }
      if (phase == Phase.IN_DOUBT) {
        entry.journal = store.save(entry.journal.moveTo(Phase.AWAITING_COMMIT, "the target runs it", clock.instant()));
      }
      entry.container.destroy();
      entry.journal = store.save(entry.journal.moveTo(Phase.COMMITTED, "the copy here is deleted", clock.instant()));
      Outcome outcome = store.finish(entry.journal);
      release(entry);
      log.info("migration={} container={} committed: the source copy is deleted", id, entry.journal.container());
      return Optional.of(outcome);
    }
  }

  /**
   * AbortMigration on the source: stops a transfer in progress (it rolls back) or resumes a held
   * copy. Idempotent.
   *
   * @throws MigrationException FAILED_PRECONDITION when committed, or while the target says it runs
   *     the container (abort the target first)
   */
  public Optional<Outcome> abort(String id) {
    Held entry = held.get(id);
    if (entry == null) {
      Optional<Outcome> outcome = outcome(id);
      if (outcome.isPresent() && outcome.get().phase() == Phase.COMMITTED) {
        throw MigrationException.precondition("migration " + id + " was committed: the source copy is gone");
      }
      return outcome;
    }
    OutgoingMigration running = entry.running;
    if (running != null) {
      running.cancel();
      try {
        entry.transferDone.get(settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        throw new MigrationException(Kind.TIMEOUT, "migration " + id + " did not stop in time: " + e);
      }
      return outcome(id).or(() -> Optional.of(entry.journal.outcome()));
    }
    synchronized (entry) {
      if (held.get(id) != entry) {
        return outcome(id);
      }
      try {
        Optional<Phase> target = entry.peer.phase();
        if (target.isPresent() && TARGET_MAY_RUN.contains(target.get())) {
          throw MigrationException.precondition("migration " + id + ": the target reports " + target.get()
              + " and may run the container; abort it on the target first");
        }
      } catch (MigrationException e) {
        if (e.kind() == Kind.FAILED_PRECONDITION) {
          throw e;
        }
        log.warn("migration={} the target cannot be asked ({}); trusting the coordinator that aborted it first", id, e.getMessage());
      }
      return Optional.of(rollBackHeld(entry, "aborted by request"));
    }
  }

  /** Called with {@code entry} locked. */
  private Outcome rollBackHeld(Held entry, String why) {
    if (entry.journal.phase() != Phase.ROLLING_BACK) {
      entry.journal = store.save(entry.journal.moveTo(Phase.ROLLING_BACK, why, clock.instant()));
    }
    SourceRollback.resume(entry.container, entry.journal.id());
    entry.journal = store.save(entry.journal.moveTo(Phase.ABORTED, why, clock.instant()));
    Outcome outcome = store.finish(entry.journal);
    release(entry);
    log.info("migration={} container={} aborted: {}", entry.journal.id(), entry.journal.container(), why);
    return outcome;
  }

  /**
   * The containers unfinished source migrations hold, read from the journals: recovery of the
   * lifecycle must leave their network links as they are (down while a copy may run elsewhere).
   */
  public static Set<String> heldContainers(JournalStore store) {
    Set<String> names = new java.util.HashSet<>();
    for (Journal j : store.loadAll()) {
      if (j.role() == Role.SOURCE) {
        names.add(j.container());
      }
    }
    return names;
  }

  /**
   * After an agent restart: takes the held containers again and settles what can be: a transfer
   * cut before RestoreIncoming rolls back; one cut after it is IN_DOUBT until the target answers.
   */
  public void recover() {
    for (Journal j : store.loadAll()) {
      if (j.role() != Role.SOURCE) {
        continue;
      }
      try {
        recover(j);
      } catch (RuntimeException e) {
        log.error("migration={} container={} recovery failed, will retry: {}", j.id(), j.container(), e.getMessage());
      }
    }
  }

  private void recover(Journal j) {
    SourceContainer container;
    try {
      container = host.take(j.container(), j.id(), false);
    } catch (MigrationException e) {
      if (e.kind() != Kind.NOT_FOUND) {
        throw e;
      }
      boolean destroyed = j.phase() == Phase.AWAITING_COMMIT || j.phase() == Phase.IN_DOUBT;
      Phase end = destroyed ? Phase.COMMITTED : Phase.ABORTED;
      Journal done = j.phase() == Phase.IN_DOUBT && destroyed ? j.moveTo(Phase.AWAITING_COMMIT, "container gone", clock.instant()) : j;
      if (end == Phase.ABORTED && done.phase() != Phase.ROLLING_BACK) {
        done = done.moveTo(Phase.ROLLING_BACK, "container gone", clock.instant());
      }
      store.finish(done.moveTo(end, "the container no longer exists here", clock.instant()));
      log.warn("migration={} container={} is gone: recorded {}", j.id(), j.container(), end);
      return;
    }
    Held entry = new Held(j, container, peers.open(j.peer(), j.id(), j.token()));
    held.put(j.id(), entry);
    synchronized (entry) {
      Phase phase = j.phase();
      if (phase == Phase.AWAITING_COMMIT || phase == Phase.IN_DOUBT) {
        keepDown(entry);
        log.info("migration={} container={} recovered in {}: copy kept", j.id(), j.container(), phase);
      } else if (j.restoreSent() && phase != Phase.ROLLING_BACK) {
        keepDown(entry);
        entry.journal = store.save(j.moveTo(Phase.IN_DOUBT, "the agent restarted after asking the target to restore",
            clock.instant()));
      } else {
        try {
          entry.peer.abort();
        } catch (MigrationException e) {
          log.warn("migration={} target not told to discard (it cannot run the container): {}", j.id(), e.getMessage());
        }
        rollBackHeld(entry, "the agent restarted during the transfer");
      }
    }
    settle(entry);
  }

  private void keepDown(Held entry) {
    if (entry.container.state() == SourceContainer.State.FROZEN) {
      entry.container.setLinkUp(false);
    }
  }

  /** Settles what can be settled now (the periodic task; tests call it directly). */
  public void settleNow() {
    for (Held entry : List.copyOf(held.values())) {
      try {
        settle(entry);
      } catch (RuntimeException e) {
        log.warn("migration={} cannot settle yet: {}", entry.journal.id(), e.getMessage());
      }
    }
  }

  /** What this side can decide alone about a held migration, after asking the target. */
  private void settle(Held entry) {
    synchronized (entry) {
      if (entry.running != null || held.get(entry.journal.id()) != entry) {
        return;
      }
      Phase phase = entry.journal.phase();
      if (phase == Phase.ROLLING_BACK) {
        rollBackHeld(entry, entry.journal.detail());
        return;
      }
      if (phase != Phase.IN_DOUBT && phase != Phase.AWAITING_COMMIT) {
        return;
      }
      Optional<Phase> target;
      try {
        target = entry.peer.phase();
      } catch (MigrationException e) {
        log.debug("migration={} target unreachable: {}", entry.journal.id(), e.getMessage());
        return;
      }
      if (phase == Phase.IN_DOUBT) {
        if (target.isPresent() && CONFIRMED.contains(target.get())) {
          entry.journal = store.save(entry.journal.moveTo(Phase.AWAITING_COMMIT, "the target confirmed it runs the container",
              clock.instant()));
        } else if (target.isEmpty() || !TARGET_MAY_RUN.contains(target.get())) {
          entry.peer.abort();
          rollBackHeld(entry, "the target discarded the container (it was " + target.map(Enum::name).orElse("unknown") + ")");
        }
      } else if (target.isPresent() && target.get() == Phase.ABORTED) {
        rollBackHeld(entry, "the target aborted the migration");
      }
    }
  }

  private void release(Held entry) {
    held.remove(entry.journal.id(), entry);
    try {
      entry.peer.close();
    } finally {
      entry.container.close();
    }
  }

  /** Whether any migration here holds {@code container} (for callers that want to say why it is busy). */
  public Optional<String> migrationOf(String container) {
    return held.values().stream().filter(h -> h.journal.container().equals(container)).map(h -> h.journal.id()).findFirst();
  }

  /**
   * Stops transfers in progress (they roll back, for up to 10 s each; what is left is recovered
   * from the journals by the next agent) and leaves held copies as they are.
   */
  @Override
  public void close() {
    for (Held entry : List.copyOf(held.values())) {
      OutgoingMigration running = entry.running;
      if (running != null) {
        running.cancel();
        try {
          entry.transferDone.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
          log.warn("migration={} still rolling back at shutdown; the next agent settles it", entry.journal.id());
        }
      }
      entry.peer.close();
    }
  }

  /** Mode label for logs. */
  static String label(Mode mode) {
    return mode.label();
  }
}
