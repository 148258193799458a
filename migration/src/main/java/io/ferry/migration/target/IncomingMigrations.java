package io.ferry.migration.target;

import com.google.protobuf.ByteString;
import io.ferry.migration.protocol.HostCapabilities;
import io.ferry.migration.protocol.Journal;
import io.ferry.migration.protocol.JournalStore;
import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationException.Kind;
import io.ferry.migration.protocol.MigrationSettings;
import io.ferry.migration.protocol.MigrationSettings.FaultPoint;
import io.ferry.migration.protocol.Mode;
import io.ferry.migration.protocol.ModeSelector;
import io.ferry.migration.protocol.Outcome;
import io.ferry.migration.protocol.Phase;
import io.ferry.migration.protocol.Role;
import io.ferry.migration.protocol.TunnelIds;
import io.ferry.migration.transfer.FileReceiver;
import io.ferry.migration.transfer.FlatArchive;
import io.ferry.migration.transfer.TarStreams;
import io.ferry.migration.transfer.Unpacker;
import io.ferry.proto.v1.FileChunk;
import io.ferry.proto.v1.RestoreIncomingRequest;
import io.ferry.proto.v1.TunnelFrame;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The target side of this agent's migrations: prepares the place of an incoming container,
 * receives its layer and images, restores or starts it, and commits or discards it.
 *
 * <p>The safety rule's target half: the container runs only after RestoreIncoming, and the
 * journal says AWAITING_COMMIT (for post-copy, once every page arrived) before the source is told
 * it runs. A restore that fails discards everything at once; an agent restarted in the middle of a
 * restore discards what it restored, since it never confirmed it. Data-plane calls must carry the
 * migration's token (compared in constant time) and come while the migration is receiving.
 *
 * <p>Threading: thread-safe. Control calls (prepare, commit, abort) and restores of one migration
 * are serialised on its {@link Incoming}; one file stream at a time per migration.
 */
public final class IncomingMigrations {

  private static final Logger log = LoggerFactory.getLogger(IncomingMigrations.class);

  private final JournalStore store;
  private final TargetHost host;
  private final SourcePeers sources;
  private final MigrationSettings settings;
  private final Clock clock;
  private final TarStreams tar;
  private final Map<String, Incoming> active = new ConcurrentHashMap<>();

  public IncomingMigrations(
      JournalStore store, TargetHost host, SourcePeers sources, MigrationSettings settings, Clock clock, TarStreams tar) {
    this.store = store;
    this.host = host;
    this.sources = sources;
    this.settings = settings;
    this.clock = clock;
    this.tar = tar;
  }

  /** The longest a first pass's answer waits for the target's memory to be made ready. */
  static final Duration READY_MEMORY_WAIT = Duration.ofSeconds(10);

  /** One incoming migration held in memory: its journal, the reserved slot, its tunnels. */
  private static final class Incoming {
    volatile Journal journal;
    final IncomingSlot slot;
    final Map<String, TunnelEndpoint> tunnels = new ConcurrentHashMap<>();
    final AtomicBoolean receiving = new AtomicBoolean();
    volatile Unpacker unpacking;
    volatile boolean rootfsReceived;
    /** A delta of the writable layer arrived after its first pass: in live and post-copy, the final one. */
    volatile boolean deltaReceived;
    volatile boolean imagesReceived;
    final List<IncomingSlot.PageServer> pageServers = new java.util.concurrent.CopyOnWriteArrayList<>();
    final CountDownLatch stall = new CountDownLatch(1);
    /** The network made ahead of the restore (see {@link IncomingSlot#prepareNetwork}); null until the first pass. */
    volatile CompletableFuture<Void> network;
    /** Memory touched for the frozen window (see {@link ReadyMemory}); freed by the restore at the latest. */
    volatile ReadyMemory memory = ReadyMemory.none();
    /** The adopt begun as the CRIU images began to arrive (see {@link #adoptAhead}); null before. */
    volatile CompletableFuture<Void> adopted;

    Incoming(Journal journal, IncomingSlot slot) {
      this.journal = journal;
      this.slot = slot;
    }
  }

  // ---- control plane ----

  /**
   * PrepareIncoming: reserves the name and checks what this host can check alone. Idempotent for
   * the same migration id and token.
   *
   * @throws MigrationException ALREADY_EXISTS (name taken, or the id reused differently),
   *     FAILED_PRECONDITION (mode unsupported here, not enough disk), INVALID_ARGUMENT
   */
  public Journal prepare(PrepareRequest request) {
    JournalStore.requireValidId(request.id());
    if (request.token() == null || request.token().length() < 16) {
      throw new MigrationException(Kind.INVALID_ARGUMENT, "migration " + request.id() + ": a token of at least 16 characters is required");
    }
    if (request.mode() == null) {
      throw new MigrationException(Kind.INVALID_ARGUMENT, "migration " + request.id() + ": no mode");
    }
    Incoming existing = active.get(request.id());
    if (existing != null) {
      Journal j = existing.journal;
      if (j.container().equals(request.container()) && tokenMatches(j, request.token())) {
        return j;
      }
      throw new MigrationException(Kind.ALREADY_EXISTS, "migration " + request.id() + " is already prepared for another container or token");
    }
    if (store.outcome(request.id(), Role.TARGET).isPresent()) {
      throw new MigrationException(Kind.ALREADY_EXISTS, "migration " + request.id() + " already ran here and ended");
    }
    for (Incoming other : active.values()) {
      if (other.journal.container().equals(request.container())) {
        throw new MigrationException(Kind.ALREADY_EXISTS,
            "container " + request.container() + " is already incoming with migration " + other.journal.id());
      }
    }
    HostCapabilities here = host.capabilities();
    if (request.mode() != Mode.AUTO) {
      ModeSelector.choose(request.mode(), here, here);
    }
    long free = host.diskFreeBytes();
    if (free < settings.diskReserveBytes()) {
      throw MigrationException.precondition("host " + here.host() + " has " + (free >> 20) + " MiB free, below its reserve of "
          + (settings.diskReserveBytes() >> 20) + " MiB");
    }
    IncomingSlot slot = host.reserve(request.container(), request.id(), false);
    try {
      Journal journal = store.save(Journal.target(request.id(), request.container(), request.mode(), request.token(),
          request.source(), request.imageDigest(), request.spec(), request.address(), request.mac(), clock.instant()));
      active.put(request.id(), new Incoming(journal, slot));
      log.info("migration={} container={} prepared to receive from {} (mode {})", request.id(), request.container(),
          request.source(), request.mode().label());
      return journal;
    } catch (RuntimeException e) {
      slot.close();
      throw e;
    }
  }

  /** The migration as this side knows it: its journal, else its outcome. */
  public Optional<Journal> journal(String id) {
    Incoming in = active.get(id);
    return in == null ? Optional.empty() : Optional.of(in.journal);
  }

  public Optional<Outcome> outcome(String id) {
    return store.outcome(id, Role.TARGET);
  }

  /**
   * CommitMigration: forgets the migration; the container stays as an ordinary one. Committing an
   * unknown migration succeeds (it was committed and forgotten).
   *
   * @throws MigrationException FAILED_PRECONDITION when the container does not run here yet, or the
   *     migration was aborted
   */
  public Optional<Outcome> commit(String id) {
    Incoming in = active.get(id);
    if (in == null) {
      Optional<Outcome> outcome = outcome(id);
      if (outcome.isPresent() && outcome.get().phase() == Phase.ABORTED) {
        throw MigrationException.precondition("migration " + id + " was aborted here: there is nothing to commit");
      }
      return outcome;
    }
    synchronized (in) {
      if (in.journal.phase() != Phase.AWAITING_COMMIT) {
        throw MigrationException.precondition(
            "migration " + id + " cannot commit: the container does not run here yet (phase " + in.journal.phase() + ")");
      }
      in.journal = store.save(in.journal.moveTo(Phase.COMMITTED, "committed", clock.instant()));
      Outcome outcome = store.finish(in.journal);
      active.remove(id);
      in.memory.close();
      in.slot.close();
      deleteWork(id);
      log.info("migration={} container={} committed: it is this host's now", id, in.journal.container());
      return Optional.of(outcome);
    }
  }

  /**
   * AbortMigration: kills and deletes whatever was received. Idempotent.
   *
   * @throws MigrationException FAILED_PRECONDITION when it was committed
   */
  public Optional<Outcome> abort(String id, String why) {
    Incoming in = active.get(id);
    if (in == null) {
      Optional<Outcome> outcome = outcome(id);
      if (outcome.isPresent() && outcome.get().phase() == Phase.COMMITTED) {
        throw MigrationException.precondition("migration " + id + " was committed here: the container is this host's now");
      }
      return outcome;
    }
    in.stall.countDown();
    Unpacker unpacking = in.unpacking;
    if (unpacking != null) {
      unpacking.close();
    }
    synchronized (in) {
      if (active.get(id) != in) {
        return outcome(id);
      }
      return Optional.of(discard(in, why));
    }
  }

  /** Called with {@code in} locked. */
  private Outcome discard(Incoming in, String why) {
    String id = in.journal.id();
    if (in.journal.phase() != Phase.ROLLING_BACK) {
      in.journal = store.save(in.journal.moveTo(Phase.ROLLING_BACK, why, clock.instant()));
    }
    in.tunnels.values().forEach(TunnelEndpoint::close);
    in.pageServers.forEach(IncomingSlot.PageServer::close);
    in.memory.close();
    try {
      awaitAdoptAhead(in);
    } catch (RuntimeException e) {
      log.info("migration={} the adopt begun ahead had failed: {}", id, e.getMessage());
    }
    in.slot.discard();
    in.journal = store.save(in.journal.moveTo(Phase.ABORTED, why, clock.instant()));
    Outcome outcome = store.finish(in.journal);
    active.remove(id);
    in.slot.close();
    deleteWork(id);
    log.info("migration={} container={} discarded here: {}", id, in.journal.container(), why);
    return outcome;
  }

  /**
   * After an agent restart: holds the names of unfinished incoming migrations again, and
   * discards containers whose restore began but was never confirmed.
   */
  public void recover() {
    for (Journal j : store.loadAll()) {
      if (j.role() != Role.TARGET) {
        continue;
      }
      IncomingSlot slot;
      try {
        slot = host.reserve(j.container(), j.id(), true);
      } catch (MigrationException e) {
        log.error("migration={} container={} cannot be recovered: {}", j.id(), j.container(), e.getMessage());
        continue;
      }
      Incoming in = new Incoming(j, slot);
      active.put(j.id(), in);
      synchronized (in) {
        if (j.phase() == Phase.AWAITING_COMMIT) {
          log.info("migration={} container={} recovered: runs here, awaiting commit", j.id(), j.container());
        } else if (j.restoreSent() || j.phase() == Phase.RESTORING || j.phase() == Phase.ROLLING_BACK) {
          discard(in, "the agent restarted before the restore was confirmed");
        } else {
          log.info("migration={} container={} recovered in {}: data kept until the coordinator aborts it", j.id(),
              j.container(), j.phase());
        }
      }
    }
  }

  // ---- data plane ----

  /**
   * Opens the sink of a ReceiveFiles stream.
   *
   * @throws MigrationException PERMISSION_DENIED (token), NOT_FOUND, FAILED_PRECONDITION (phase)
   */
  public FileReceiver.Sink receive(FileChunk.Header header) {
    Incoming in = authorized(header.getMigrationId(), header.getToken());
    if (!in.receiving.compareAndSet(false, true)) {
      throw MigrationException.precondition("migration " + header.getMigrationId() + " is already receiving a stream");
    }
    try {
      synchronized (in) {
        requireReceiving(in);
        return switch (header.getKind()) {
          case KIND_ROOTFS -> openRootfs(in, header);
          case KIND_CHECKPOINT -> openCheckpoint(in, header.getDelta(), header.getFlat());
          default -> throw new MigrationException(Kind.INVALID_ARGUMENT, "cannot receive " + header.getKind() + " here");
        };
      }
    } catch (RuntimeException e) {
      in.receiving.set(false);
      throw e;
    }
  }

  /** The most the next stream may carry: the configured limit, and the disk minus its reserve. */
  public long maxIncomingBytes() {
    return Math.max(0, Math.min(settings.maxIncomingBytes(), host.diskFreeBytes() - settings.diskReserveBytes()));
  }

  private FileReceiver.Sink openRootfs(Incoming in, FileChunk.Header header) {
    Journal j = in.journal;
    if (in.adopted != null) {
      throw MigrationException.precondition("migration " + j.id() + ": the container was adopted as its CRIU images"
          + " arrived after the final delta; no pass of the writable layer may follow");
    }
    if (!host.hasImage(j.imageDigest())) {
      fetchImage(in);
    }
    in.journal = store.save(j.moveTo(header.getDelta() ? Phase.SYNCING_DELTA : Phase.SYNCING_ROOTFS,
        header.getDelta() ? header.getDeletedCount() + " deletions and a delta" : "first pass", clock.instant()));
    Path upper = in.slot.upperDir();
    try {
      Files.createDirectories(upper);
      for (String path : header.getDeletedList()) {
        SafePaths.removeUnder(upper, path);
      }
    } catch (IOException e) {
      throw MigrationException.internal("cannot prepare " + upper + ": " + e.getMessage(), e);
    }
    if (!header.getDelta() && header.getMemoryBytes() > 0) {
      in.memory.close();
      in.memory = ReadyMemory.touch(header.getMemoryBytes(), j.id());
    }
    return sink(in, upper, tar.unpack(upper, settings.timeout()), header.getKind(), () -> {
      in.rootfsReceived = true;
      if (header.getDelta()) {
        in.deltaReceived = true;
      }
      prepareNetworkAhead(in);
      awaitReadyMemory(in);
    });
  }

  /**
   * Once the first pass arrived (the source still runs the container), makes the container's
   * network here, isolated, on another thread: plumbing a namespace and a veth takes a hundred ms
   * or more, which adopt would otherwise spend inside the frozen window. A failure is only logged:
   * adopt makes the network itself then.
   */
  private void prepareNetworkAhead(Incoming in) {
    if (in.network != null) {
      return;
    }
    Journal j = in.journal;
    in.network = CompletableFuture.runAsync(() -> in.slot.prepareNetwork(j.address(), j.mac()))
        .exceptionally(e -> {
          log.info("migration={} network not made ahead (the restore makes it): {}", j.id(), e.toString());
          return null;
        });
  }

  /**
   * The first pass is answered once the memory for the frozen window is ready, so the source
   * freezes only then; a touch that takes longer than {@link #READY_MEMORY_WAIT} is not waited for.
   */
  private void awaitReadyMemory(Incoming in) {
    try {
      if (!in.memory.awaitTouched(READY_MEMORY_WAIT)) {
        log.info("migration={} memory still being made ready after {} s; going on", in.journal.id(), READY_MEMORY_WAIT.toSeconds());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** @param flat the archive is a {@link FlatArchive}: unpacked here without GNU tar */
  private FileReceiver.Sink openCheckpoint(Incoming in, boolean addToPages, boolean flat) {
    in.journal = store.save(in.journal.moveTo(Phase.TRANSFERRING_MEMORY, "CRIU images", clock.instant()));
    Path dir = addToPages ? in.slot.checkpointDir() : in.slot.emptyCheckpointDir();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw MigrationException.internal("cannot prepare " + dir + ": " + e.getMessage(), e);
    }
    Unpacker unpacker = flat ? FlatArchive.unpack(dir) : tar.unpack(dir, settings.timeout());
    FileReceiver.Sink sink = sink(in, dir, unpacker, FileChunk.Header.Kind.KIND_CHECKPOINT, () -> in.imagesReceived = true);
    if (in.deltaReceived) {
      adoptAhead(in);
    }
    return sink;
  }

  /**
   * When the CRIU images begin to arrive after the final delta (the order of live and post-copy
   * moves), the dump succeeded and the writable layer is final, so the container is adopted
   * (rootfs mounted over the received layer, the network made ahead, its record) on another thread
   * while the images arrive, instead of in the restore, inside the frozen window. The restore
   * waits for it and fails as it would have; a discard waits for it before undoing it.
   */
  private void adoptAhead(Incoming in) {
    if (in.adopted != null) {
      return;
    }
    Journal j = in.journal;
    CompletableFuture<Void> network = in.network != null ? in.network : CompletableFuture.completedFuture(null);
    in.adopted = network.thenRunAsync(() -> in.slot.adopt(j.spec(), j.imageDigest(), j.address(), j.mac(), true));
  }

  /** Waits for the adopt begun ahead, if any; its failure is the caller's to report or ignore. */
  private static void awaitAdoptAhead(Incoming in) {
    CompletableFuture<Void> adopted = in.adopted;
    if (adopted == null) {
      return;
    }
    try {
      adopted.join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw e;
    }
  }

  private FileReceiver.Sink sink(Incoming in, Path into, Unpacker unpacking, FileChunk.Header.Kind kind, Runnable onFinished) {
    in.unpacking = unpacking;
    String id = in.journal.id();
    CountDownLatch stall = in.stall;
    return new FileReceiver.Sink() {
      long chunks;

      @Override
      public void write(ByteString data) {
        chunks++;
        if (chunks == 1 && settings.fault() == FaultPoint.TARGET_RECEIVE_BREAK) {
          throw new MigrationException(Kind.UNAVAILABLE, "stream broken (injected by migration.fault-injection)");
        }
        if (chunks == 1 && kind == FileChunk.Header.Kind.KIND_CHECKPOINT && settings.fault() == FaultPoint.TARGET_RECEIVE_STALL) {
          log.warn("migration={} stalling the stream (injected by migration.fault-injection)", id);
          try {
            stall.await(settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          throw new MigrationException(Kind.UNAVAILABLE, "stream stalled (injected by migration.fault-injection)");
        }
        try {
          data.writeTo(unpacking.input());
        } catch (IOException e) {
          throw MigrationException.internal("cannot unpack into " + into + ": " + e.getMessage() + "; " + unpacking.problems(), e);
        }
      }

      @Override
      public void finish(long bytes, String checksum) {
        try {
          unpacking.finish();
          onFinished.run();
          log.info("migration={} received {} bytes into {}", id, bytes, into);
        } finally {
          in.unpacking = null;
          in.receiving.set(false);
        }
      }

      @Override
      public void abort(Throwable cause) {
        unpacking.close();
        in.unpacking = null;
        in.receiving.set(false);
        log.warn("migration={} stream into {} failed: {}", id, into, cause.toString());
      }
    };
  }

  private void fetchImage(Incoming in) {
    Journal j = in.journal;
    log.info("migration={} image {} missing here: fetching it from the source {}", j.id(), j.imageDigest(), j.peer());
    try (SourcePeer source = sources.open(j.peer(), j.id(), j.token())) {
      InputStream archive = source.fetchImage(j.imageDigest());
      host.importImage(j.imageDigest(), archive, source.aliases());
    }
  }

  /**
   * RestoreIncoming: makes the received container a container of this host and runs it.
   *
   * @return a description of what runs (pid)
   * @throws MigrationException after discarding everything received when the restore failed
   */
  public String restore(RestoreIncomingRequest request) {
    Incoming in = authorized(request.getMigrationId(), request.getToken());
    synchronized (in) {
      requireReceiving(in);
      if (in.receiving.get()) {
        throw MigrationException.precondition("migration " + request.getMigrationId() + " is still receiving a stream");
      }
      if (!in.rootfsReceived) {
        throw MigrationException.precondition("migration " + request.getMigrationId() + ": no root filesystem received");
      }
      if (request.getFromCheckpoint() && !in.imagesReceived) {
        throw MigrationException.precondition("migration " + request.getMigrationId() + ": no checkpoint received");
      }
      if (request.getFromCheckpoint()) {
        for (IncomingSlot.PageServer pages : in.pageServers) {
          pages.awaitDone(settings.rpcTimeout());
        }
        in.pageServers.clear();
      }
      Journal j = in.journal;
      CompletableFuture<Void> network = in.network;
      if (network != null) {
        network.join(); // never fails (see prepareNetworkAhead); usually long done
      }
      in.journal = store.save(j.withRestoreSent().moveTo(Phase.RESTORING,
          request.getFromCheckpoint() ? "restoring the checkpoint" : "starting", clock.instant()));
      try {
        if (request.getFromCheckpoint() && in.adopted != null) {
          awaitAdoptAhead(in);
        } else {
          in.slot.adopt(j.spec(), j.imageDigest(), j.address(), j.mac(), request.getFromCheckpoint());
        }
        if (settings.fault() == FaultPoint.TARGET_RESTORE) {
          throw new MigrationException(Kind.INTERNAL, "restore failed (injected by migration.fault-injection)");
        }
        if (!request.getFromCheckpoint()) {
          String started = in.slot.start();
          Mode restarted = j.requested() == Mode.COLD ? Mode.COLD : Mode.NEAR_LIVE;
          in.journal = store.save(in.journal.withMode(restarted).moveTo(Phase.AWAITING_COMMIT, "started: " + started, clock.instant()));
          return started;
        }
        OptionalInt lazyPort = OptionalInt.empty();
        if (!request.getLazyPagesTunnelId().isEmpty()) {
          TunnelEndpoint tunnel = in.tunnels.get(request.getLazyPagesTunnelId());
          if (tunnel == null) {
            throw MigrationException.precondition("no tunnel " + request.getLazyPagesTunnelId() + " open for the lazy pages");
          }
          lazyPort = OptionalInt.of(tunnel.port());
        }
        in.memory.close(); // the restore fills the container's memory now: it gets these pages
        IncomingSlot.Restored restored = in.slot.restore(request.getTcpEstablished(), lazyPort);
        if (settings.fault() == FaultPoint.TARGET_CRASH_AFTER_RESTORE) {
          log.error("migration={} the agent dies now, its restore unconfirmed (injected by migration.fault-injection)", j.id());
          Runtime.getRuntime().halt(137);
        }
        if (lazyPort.isEmpty()) {
          in.journal = store.save(in.journal.withMode(Mode.LIVE).moveTo(Phase.AWAITING_COMMIT,
              "restored: " + restored.description(), clock.instant()));
          return restored.description();
        }
        in.journal = store.save(in.journal.withMode(Mode.POST_COPY).moveTo(Phase.TRANSFERRING_MEMORY,
            "restored, pulling its pages: " + restored.description(), clock.instant()));
        restored.pagesDone().whenComplete((ok, error) -> pagesDone(in, error));
        return restored.description();
      } catch (RuntimeException e) {
        log.warn("migration={} restore failed, discarding: {}", j.id(), e.getMessage());
        try {
          discard(in, "restore failed: " + e.getMessage());
        } catch (RuntimeException cleanup) {
          e.addSuppressed(cleanup);
          log.error("migration={} discarding after the failed restore failed too: {}", j.id(), cleanup.getMessage());
        }
        throw e;
      }
    }
  }

  private void pagesDone(Incoming in, Throwable error) {
    synchronized (in) {
      if (active.get(in.journal.id()) != in || in.journal.phase() != Phase.TRANSFERRING_MEMORY) {
        return;
      }
      if (error == null) {
        in.journal = store.save(in.journal.moveTo(Phase.AWAITING_COMMIT, "every page arrived", clock.instant()));
        return;
      }
      log.error("migration={} the restored container lost its page source: {}", in.journal.id(), error.toString());
      in.journal = store.save(in.journal.moveTo(Phase.ROLLING_BACK, "page transfer failed: " + error.getMessage(), clock.instant()));
      in.slot.discard();
    }
  }

  /**
   * Tunnel: the caller's first frame names the migration and the tunnel; the target listens on a
   * loopback port for the one local connection (CRIU's lazy-pages daemon) it carries.
   */
  public StreamObserver<TunnelFrame> tunnel(ServerCallStreamObserver<TunnelFrame> out, Function<Throwable, RuntimeException> toStatus) {
    TunnelEndpoint[] current = new TunnelEndpoint[1];
    out.setOnReadyThreshold(io.ferry.migration.transfer.SocketPump.IN_FLIGHT_BYTES);
    out.setOnReadyHandler(() -> {
      TunnelEndpoint e = current[0];
      if (e != null) {
        e.wake();
      }
    });
    return new StreamObserver<>() {
      TunnelEndpoint endpoint;

      ReadyMemory pagesArriving;

      @Override
      public void onNext(TunnelFrame frame) {
        if (endpoint != null) {
          if (pagesArriving != null && frame.hasData()) {
            pagesArriving.release(frame.getData().size()); // the page server is about to cache them
          }
          endpoint.fromPeer(frame);
          return;
        }
        try {
          if (!frame.hasOpen()) {
            throw new MigrationException(Kind.INVALID_ARGUMENT, "a tunnel must start with an open frame");
          }
          Incoming in = authorized(frame.getOpen().getMigrationId(), frame.getOpen().getToken());
          String tunnelId = frame.getOpen().getTunnelId();
          endpoint = tunnelId.equals(TunnelIds.PAGES)
              ? pagesEndpoint(in, out)
              : TunnelEndpoint.listen(in.journal.id() + "-" + tunnelId, out, settings.timeout());
          pagesArriving = tunnelId.equals(TunnelIds.PAGES) ? in.memory : null;
          current[0] = endpoint;
          TunnelEndpoint previous = in.tunnels.put(tunnelId, endpoint);
          if (previous != null) {
            previous.close();
          }
        } catch (RuntimeException e) {
          out.onError(toStatus.apply(e));
        }
      }

      @Override
      public void onError(Throwable t) {
        if (endpoint != null) {
          endpoint.peerClosed(t);
        }
      }

      @Override
      public void onCompleted() {
        if (endpoint != null) {
          endpoint.peerClosed(null);
        }
      }
    };
  }

  /**
   * The tunnel a live dump streams its pages through: this side starts a CRIU page server writing
   * into the incoming checkpoint directory, connects to it, and carries the dump's connection
   * there. Runs on the tunnel's first frame, so no page arrives before the connection exists.
   */
  private TunnelEndpoint pagesEndpoint(Incoming in, ServerCallStreamObserver<TunnelFrame> out) {
    int port;
    synchronized (in) {
      requireReceiving(in);
      in.journal = store.save(in.journal.moveTo(Phase.TRANSFERRING_MEMORY, "memory pages streamed by the dump", clock.instant()));
      in.slot.emptyCheckpointDir();
      port = freeLoopbackPort();
      in.pageServers.add(in.slot.servePages(port));
    }
    try {
      java.net.Socket socket = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port);
      return TunnelEndpoint.connected(in.journal.id() + "-" + TunnelIds.PAGES, out, socket);
    } catch (IOException e) {
      throw MigrationException.internal("cannot connect to the page server on port " + port + ": " + e.getMessage(), e);
    }
  }

  private static int freeLoopbackPort() {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw MigrationException.internal("no free loopback port: " + e.getMessage(), e);
    }
  }

  // ---- checks ----

  private Incoming authorized(String id, String token) {
    Incoming in = active.get(id);
    if (in == null) {
      throw new MigrationException(Kind.PERMISSION_DENIED, "no incoming migration " + id + " is prepared here");
    }
    if (!tokenMatches(in.journal, token)) {
      throw new MigrationException(Kind.PERMISSION_DENIED, "wrong token for migration " + id);
    }
    return in;
  }

  private static boolean tokenMatches(Journal j, String token) {
    return token != null && MessageDigest.isEqual(j.token().getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
  }

  private static void requireReceiving(Incoming in) {
    Phase p = in.journal.phase();
    if (p != Phase.PREPARED && p != Phase.SYNCING_ROOTFS && p != Phase.SYNCING_DELTA && p != Phase.TRANSFERRING_MEMORY) {
      throw MigrationException.precondition("migration " + in.journal.id() + " takes no data in phase " + p);
    }
    if (in.journal.restoreSent()) {
      throw MigrationException.precondition("migration " + in.journal.id() + " was restored already");
    }
  }

  /** The source's address this migration accepts data from. */
  public Optional<String> sourceOf(String id) {
    return journal(id).map(Journal::peer);
  }

  /** Names of the containers held by incoming migrations (for recovery of the lifecycle). */
  public List<String> heldContainers() {
    return active.values().stream().map(in -> in.journal.container()).toList();
  }

  private void deleteWork(String id) {
    try {
      SafePaths.removeTree(store.workDir(id, Role.TARGET));
    } catch (IOException e) {
      log.warn("migration={} cannot delete its working files: {}", id, e.getMessage());
    }
  }
}
