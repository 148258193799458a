package io.ferry.migration.source;

import io.ferry.migration.protocol.HostCapabilities;
import io.ferry.migration.protocol.Journal;
import io.ferry.migration.protocol.JournalStore;
import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationException.Kind;
import io.ferry.migration.protocol.MigrationSettings;
import io.ferry.migration.protocol.MigrationSettings.FaultPoint;
import io.ferry.migration.protocol.Mode;
import io.ferry.migration.protocol.ModeChoice;
import io.ferry.migration.protocol.ModeSelector;
import io.ferry.migration.protocol.Phase;
import io.ferry.migration.protocol.Result;
import io.ferry.migration.protocol.TunnelIds;
import io.ferry.migration.transfer.DeltaPlan;
import io.ferry.migration.transfer.FlatArchive;
import io.ferry.migration.transfer.ProgressMeter;
import io.ferry.migration.transfer.TarStreams;
import io.ferry.migration.transfer.TreeManifest;
import io.ferry.proto.v1.FileChunk;
import io.ferry.proto.v1.RestoreIncomingRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One outgoing migration on the source agent, from PREPARED to AWAITING_COMMIT, and its rollback.
 * The steps per mode:
 *
 * <ul>
 *   <li>cold: stop; send the writable layer; have the target start it.
 *   <li>near-live: send the layer while running; stop; send what changed (and what went); start.
 *   <li>live: send the layer while running; freeze and set the link down; CRIU dump (left frozen
 *       here); send the images; send what changed; have the target restore it. With auto, a dump
 *       that fails resumes the container and continues near-live, saying why.
 *   <li>post-copy: as live, but the dump keeps the pages and serves them on loopback; the target
 *       pulls them through a tunnel after it resumed; AWAITING_COMMIT once all pages went over.
 * </ul>
 *
 * <p>Rollback follows the safety rule of {@code migration.proto}: before RestoreIncoming was sent
 * the target cannot run the container, so the source tells it to discard (best effort) and resumes
 * its copy; afterwards the source resumes only once the target acknowledged the abort, and stays
 * frozen (IN_DOUBT) when it cannot be reached.
 *
 * <p>Threading: {@link #run} on one migration worker; {@link #cancel} from any thread.
 */
final class OutgoingMigration {

  private static final Logger log = LoggerFactory.getLogger(OutgoingMigration.class);

  private final OutgoingRequest request;
  private final JournalStore store;
  private final MigrationSettings settings;
  private final Clock clock;
  private final TarStreams tar;
  private final SourceContainer container;
  private final HostCapabilities here;
  private final TargetPeer peer;
  private final Consumer<Progress> listener;
  private final ProgressMeter meter = new ProgressMeter();
  private final AtomicLong rootfsBytes = new AtomicLong();
  private final AtomicLong memoryBytes = new AtomicLong();
  private volatile Journal journal;
  private volatile boolean cancelled;
  private long startedNanos;
  private long frozenSinceNanos;
  private long frozenMillis;
  private String fallbackReason = "";
  private SourceContainer.LazyDump lazyDump;
  /** The final pass of the layer, sent while the dump runs (live, post-copy); a rollback stops it. */
  private FrozenDelta frozenDelta;

  OutgoingMigration(
      OutgoingRequest request, Journal journal, JournalStore store, MigrationSettings settings, Clock clock,
      TarStreams tar, SourceContainer container, HostCapabilities here, TargetPeer peer, Consumer<Progress> listener) {
    this.request = request;
    this.journal = journal;
    this.store = store;
    this.settings = settings;
    this.clock = clock;
    this.tar = tar;
    this.container = container;
    this.here = here;
    this.peer = peer;
    this.listener = listener;
  }

  Journal journal() {
    return journal;
  }

  SourceContainer container() {
    return container;
  }

  TargetPeer peer() {
    return peer;
  }

  /** Asks a running migration to stop at its next step and roll back (before RestoreIncoming only). */
  void cancel() {
    cancelled = true;
    if (!journal.restoreSent()) {
      peer.cancelInFlight();
    }
  }

  /**
   * Runs the migration to AWAITING_COMMIT.
   *
   * @return the measurements
   * @throws MigrationException after rolling back (or, IN_DOUBT, after leaving the copy frozen)
   */
  Result run() {
    startedNanos = System.nanoTime();
    try {
      ModeChoice choice = ModeSelector.choose(request.mode(), here, peer.capabilities());
      fallbackReason = choice.fallbackReason();
      journal = store.save(journal.withMode(choice.mode()));
      if (!fallbackReason.isEmpty()) {
        report(fallbackReason);
      }
      switch (choice.mode()) {
        case COLD -> cold();
        case NEAR_LIVE -> nearLive(syncRootfs(0));
        case LIVE -> live();
        case POST_COPY -> postCopy();
        default -> throw MigrationException.precondition("mode " + choice.mode().label() + " cannot run");
      }
      Result result = new Result(journal.mode(), fallbackReason, millisSince(startedNanos), frozenMillis,
          rootfsBytes.get(), memoryBytes.get());
      journal = store.save(journal.withResult(result).moveTo(Phase.AWAITING_COMMIT,
          "the target runs the container; frozen " + frozenMillis + " ms", clock.instant()));
      listener.accept(progress("", Optional.of(result)));
      log.info("migration={} container={} awaiting commit: mode={} total_ms={} frozen_ms={} rootfs_bytes={} memory_bytes={}",
          request.id(), request.container(), result.modeUsed().label(), result.totalMillis(), result.frozenMillis(),
          result.rootfsBytes(), result.memoryBytes());
      return result;
    } catch (RuntimeException e) {
      MigrationException failure = e instanceof MigrationException m ? m
          : MigrationException.internal("migration " + request.id() + " failed: " + e, e);
      if (cancelled && failure.kind() != Kind.UNAVAILABLE) {
        failure = new MigrationException(Kind.ABORTED, "migration " + request.id() + " aborted: " + failure.getMessage(), failure);
      }
      throw rollBack(failure);
    } finally {
      if (lazyDump != null && journal.phase() != Phase.IN_DOUBT) {
        lazyDump.close();
      }
      deleteWorkDir();
    }
  }

  // ---- the modes ----

  private void cold() {
    stop();
    move(Phase.SYNCING_ROOTFS, "the writable layer, container stopped");
    TreeManifest first = TreeManifest.scan(container.upperDir());
    sendLayer(first, DeltaPlan.everything(first), false, false, 0);
    restore(false, "");
  }

  private void nearLive(TreeManifest first) {
    stop();
    syncDelta(first);
    restore(false, "");
  }

  private void live() {
    long memory = container.memoryBytes();
    // The target gets ready the page cache for the pages and the restored memory: twice the memory.
    TreeManifest first = syncRootfs(2 * memory);
    boolean streaming = memory >= settings.streamPagesAbove();
    // The page stream is made ready before the freeze: the target's page server starts meanwhile.
    try (PageStream pages = streaming ? openPageStream() : null) {
      freeze();
      frozenDelta = new FrozenDelta(first);
      move(Phase.DUMPING, streaming ? "CRIU dump, memory pages streamed to the target" : "CRIU dump");
      Path images = workDir().resolve("images");
      long bytes;
      try {
        createEmpty(images);
        if (settings.fault() == FaultPoint.SOURCE_DUMP) {
          throw new MigrationException(Kind.INTERNAL, "CRIU dump failed (injected by migration.fault-injection)");
        }
        bytes = streaming ? pages.dump(images) : container.dump(images, request.tcpEstablished());
      } catch (MigrationException e) {
        if (request.mode() != Mode.AUTO) {
          throw e;
        }
        fallBackToNearLive(e);
        return;
      }
      meter.expect(bytes);
      frozenDelta.await();
      move(Phase.TRANSFERRING_MEMORY, "images" + (streaming ? " besides the pages: " : ": ") + bytes + " bytes");
      sendImages(images, streaming);
    }
    restore(true, "");
  }

  private PageStream openPageStream() {
    try {
      return new PageStream();
    } catch (IOException e) {
      throw MigrationException.internal("cannot listen for CRIU's page stream: " + e.getMessage(), e);
    }
  }

  /**
   * A live dump's pages sent while CRIU reads them: CRIU connects to a loopback listener here,
   * and that connection goes through the pages tunnel to a page server the target started for
   * it when the tunnel opened. No page is written to disk on this host; the transfer overlaps the
   * dump.
   */
  private final class PageStream implements AutoCloseable {
    private final ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    private final CompletableFuture<Socket> criu = new CompletableFuture<>();
    private final CompletableFuture<Void> tunnel;

    PageStream() throws IOException {
      listener.setSoTimeout((int) Math.min(Integer.MAX_VALUE, settings.timeout().toMillis()));
      Thread acceptor = new Thread(() -> {
        try {
          criu.complete(listener.accept());
        } catch (IOException e) {
          criu.completeExceptionally(e);
        }
      }, "criu-pages-" + request.id());
      acceptor.setDaemon(true);
      acceptor.start();
      tunnel = peer.tunnel(TunnelIds.PAGES, criu, n -> {
        memoryBytes.addAndGet(n);
        meter.add(n);
        reportThrottled();
      });
    }

    /** Dumps with the pages going to the stream; returns the size of the images written here. */
    long dump(Path images) {
      long written = container.dumpToPageServer(images, request.tcpEstablished(), listener.getLocalPort());
      try {
        tunnel.get(settings.rpcTimeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        throw new MigrationException(Kind.UNAVAILABLE, "the page stream to the target did not end cleanly: " + e, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new MigrationException(Kind.ABORTED, "interrupted while the pages were sent");
      }
      log.info("migration={} pages streamed: {} bytes; images here {} bytes", request.id(), memoryBytes.get(), written);
      return written;
    }

    /** Stops listening; a stream that did not end is cut. */
    @Override
    public void close() {
      try {
        listener.close();
      } catch (IOException e) {
        log.debug("migration={} closing the page listener: {}", request.id(), e.getMessage());
      }
      if (!tunnel.isDone() && !criu.completeExceptionally(new IOException("the dump did not connect"))
          && !criu.isCompletedExceptionally()) {
        try {
          criu.join().close();
        } catch (IOException e) {
          log.debug("migration={} closing CRIU's page connection: {}", request.id(), e.getMessage());
        }
      }
    }
  }

  private void postCopy() {
    TreeManifest first = syncRootfs(container.memoryBytes());
    // The lazy pages' tunnel opens before the freeze (the target starts listening meanwhile); its
    // local end, CRIU's page server here, comes with the dump. Whatever fails first cuts it.
    String tunnelId = TunnelIds.LAZY_PAGES;
    CompletableFuture<Socket> pageServer = new CompletableFuture<>();
    CompletableFuture<Void> tunnel = peer.tunnel(tunnelId, pageServer, n -> {
      memoryBytes.addAndGet(n);
      meter.add(n);
    });
    try {
      freeze();
      frozenDelta = new FrozenDelta(first);
      move(Phase.DUMPING, "CRIU dump, pages left for the target to pull");
      Path images = workDir().resolve("images");
      createEmpty(images);
      int port = freeLoopbackPort();
      lazyDump = container.dumpLazily(images, request.tcpEstablished(), port);
      try {
        pageServer.complete(new Socket(InetAddress.getLoopbackAddress(), port));
      } catch (IOException e) {
        throw MigrationException.internal("cannot connect to CRIU's page server on port " + port + ": " + e.getMessage(), e);
      }
      meter.expect(lazyDump.imageBytes());
      frozenDelta.await();
      move(Phase.TRANSFERRING_MEMORY, "images without pages: " + lazyDump.imageBytes() + " bytes");
      sendImages(images, false);
    } catch (RuntimeException e) {
      pageServer.completeExceptionally(e);
      throw e;
    }
    restore(true, tunnelId);
    move(Phase.TRANSFERRING_MEMORY, "the target runs the container and pulls its pages");
    lazyDump.awaitDone(settings.timeout());
    try {
      tunnel.get(settings.rpcTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new MigrationException(Kind.UNAVAILABLE, "the page tunnel did not end cleanly: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MigrationException(Kind.ABORTED, "interrupted while the pages were pulled");
    }
    awaitTargetPhase(Phase.AWAITING_COMMIT);
  }

  private void fallBackToNearLive(MigrationException dumpFailure) {
    // What the target holds of the layer: the frozen pass, once it is over (it failing fails this).
    TreeManifest sent = frozenDelta.await();
    // Nothing was sent to the target that it could run: resume, then continue as near-live.
    container.setLinkUp(true);
    container.unfreeze();
    frozenMillis = 0;
    fallbackReason = "live dump failed (" + dumpFailure.getMessage() + "); the container resumed and moved near-live";
    log.warn("migration={} container={} {}", request.id(), request.container(), fallbackReason);
    journal = store.save(journal.withMode(Mode.NEAR_LIVE));
    move(Phase.STOPPING, fallbackReason);
    stopContainer();
    syncDelta(sent);
    restore(false, "");
  }

  // ---- steps ----

  /** @param readyMemory what the target should have ready for the frozen window (see FileChunk.Header) */
  private TreeManifest syncRootfs(long readyMemory) {
    move(Phase.SYNCING_ROOTFS, "first pass of the writable layer, container running");
    TreeManifest first = TreeManifest.scan(container.upperDir());
    sendLayer(first, DeltaPlan.everything(first), false, true, readyMemory);
    return first;
  }

  private void syncDelta(TreeManifest previous) {
    move(Phase.SYNCING_DELTA, "files changed since the first pass");
    sendDelta(previous);
  }

  /** Sends what changed in the layer since {@code previous}; returns the layer as sent. */
  private TreeManifest sendDelta(TreeManifest previous) {
    TreeManifest now = TreeManifest.scan(container.upperDir());
    DeltaPlan plan = DeltaPlan.between(previous, now);
    log.info("migration={} delta: {} changed ({} bytes), {} deleted", request.id(), plan.changed().size(),
        plan.changedBytes(), plan.deleted().size());
    sendLayer(now, plan, true, false, 0);
    return now;
  }

  /**
   * The final pass of the writable layer, sent while CRIU dumps instead of after it: once frozen,
   * the container writes nothing to its layer, and a dump writes only to its image directory. It
   * runs on a thread of its own and records no phase (the dump owns the journal meanwhile). The
   * target takes one stream at a time, so {@link #await} comes before the images are sent; a
   * failed pass fails the migration there, which then rolls back as any failed step does.
   */
  private final class FrozenDelta {
    private final CompletableFuture<TreeManifest> sent = new CompletableFuture<>();

    FrozenDelta(TreeManifest previous) {
      Thread sender = new Thread(() -> {
        try {
          sent.complete(sendDelta(previous));
        } catch (RuntimeException e) {
          sent.completeExceptionally(e);
        }
      }, "frozen-delta-" + request.id());
      sender.setDaemon(true);
      sender.start();
    }

    /**
     * Ends a pass still running (the migration failed elsewhere): cuts its stream and waits for
     * the sender, so nothing more reaches the target once it is told to discard what it has.
     */
    void stop() {
      if (sent.isDone()) {
        return;
      }
      peer.cancelInFlight();
      try {
        sent.get(settings.rpcTimeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        log.debug("migration={} the frozen pass ended: {}", request.id(), e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** Waits for the pass to end; returns the layer as sent. */
    TreeManifest await() {
      try {
        return sent.join();
      } catch (java.util.concurrent.CompletionException e) {
        throw e.getCause() instanceof MigrationException m ? m
            : MigrationException.internal("the final pass of the writable layer failed: " + e.getCause(), e.getCause());
      }
    }
  }

  private void sendLayer(TreeManifest manifest, DeltaPlan plan, boolean delta, boolean liveTree, long readyMemory) {
    checkCancelled();
    meter.expect(plan.changedBytes());
    FileChunk.Header header = FileChunk.Header.newBuilder()
        .setKind(FileChunk.Header.Kind.KIND_ROOTFS)
        .setDelta(delta)
        .addAllDeleted(plan.deleted())
        .setMemoryBytes(readyMemory)
        .build();
    try (TarStreams.Packing packing = tar.pack(container.upperDir(), Optional.of(plan.toPack(!delta)), liveTree, settings.timeout())) {
      peer.send(header, packing.output(), n -> {
        rootfsBytes.addAndGet(n);
        meter.add(n);
        reportThrottled();
      });
      packing.finish();
    }
  }

  /** @param besidePages the pages went through the page server: the target adds these to them */
  private void sendImages(Path images, boolean besidePages) {
    checkCancelled();
    FileChunk.Header.Builder header = FileChunk.Header.newBuilder().setKind(FileChunk.Header.Kind.KIND_CHECKPOINT)
        .setDelta(besidePages);
    // CRIU's image directory is flat: packed here, no tar process on either end inside the window.
    Optional<InputStream> flat;
    try {
      flat = FlatArchive.pack(images);
    } catch (IOException e) {
      throw MigrationException.internal("cannot read the images in " + images + ": " + e.getMessage(), e);
    }
    java.util.function.LongConsumer sent = n -> {
      memoryBytes.addAndGet(n);
      meter.add(n);
      reportThrottled();
    };
    if (flat.isPresent()) {
      try (InputStream archive = flat.get()) {
        peer.send(header.setFlat(true).build(), archive, sent);
      } catch (IOException e) {
        throw MigrationException.internal("cannot read the images in " + images + ": " + e.getMessage(), e);
      }
      return;
    }
    try (TarStreams.Packing packing = tar.pack(images, Optional.empty(), false, settings.timeout())) {
      peer.send(header.build(), packing.output(), sent);
      packing.finish();
    }
  }

  private void stop() {
    move(Phase.STOPPING, "clean stop");
    stopContainer();
  }

  private void stopContainer() {
    checkCancelled();
    frozenSinceNanos = System.nanoTime();
    container.stop();
  }

  private void freeze() {
    move(Phase.FREEZING, "freeze and link down");
    checkCancelled();
    frozenSinceNanos = System.nanoTime();
    container.freeze();
    container.setLinkUp(false);
  }

  private void restore(boolean fromCheckpoint, String lazyTunnel) {
    checkCancelled();
    journal = store.save(journal.withRestoreSent().moveTo(Phase.RESTORING,
        fromCheckpoint ? "target restores the checkpoint" : "target starts the container", clock.instant()));
    report("");
    peer.restore(RestoreIncomingRequest.newBuilder()
        .setFromCheckpoint(fromCheckpoint)
        .setTcpEstablished(fromCheckpoint && request.tcpEstablished())
        .setLazyPagesTunnelId(lazyTunnel)
        .build());
    frozenMillis = millisSince(frozenSinceNanos);
    log.info("migration={} container={} runs on the target: frozen_ms={}", request.id(), request.container(), frozenMillis);
  }

  /** Post-copy: the target journals AWAITING_COMMIT once its lazy-pages daemon finished. */
  private void awaitTargetPhase(Phase wanted) {
    long deadline = System.nanoTime() + settings.rpcTimeout().toNanos();
    while (true) {
      Optional<Phase> phase = peer.phase();
      if (phase.isPresent() && phase.get() == wanted) {
        return;
      }
      if (phase.isEmpty() || phase.get() == Phase.ROLLING_BACK || phase.get() == Phase.ABORTED) {
        throw new MigrationException(Kind.INTERNAL, "the target did not keep the container: it is " + phase.map(Enum::name).orElse("unknown"));
      }
      if (System.nanoTime() > deadline) {
        throw new MigrationException(Kind.TIMEOUT, "the target did not reach " + wanted + " (it is " + phase.get() + ")");
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new MigrationException(Kind.ABORTED, "interrupted");
      }
    }
  }

  // ---- rollback ----

  private MigrationException rollBack(MigrationException failure) {
    log.warn("migration={} container={} failed in {}: {}", request.id(), request.container(), journal.phase(), failure.getMessage());
    if (frozenDelta != null) {
      frozenDelta.stop();
    }
    if (journal.restoreSent()) {
      try {
        peer.abort();
      } catch (MigrationException e) {
        journal = store.save(journal.moveTo(Phase.IN_DOUBT,
            "the target may run the container and cannot be asked (" + e.getMessage() + "): the copy here stays "
                + "frozen until the target answers or the coordinator commits or aborts; failure: " + failure.getMessage(),
            clock.instant()));
        report(journal.detail());
        return new MigrationException(Kind.UNAVAILABLE, "migration " + request.id() + " in doubt: " + failure.getMessage()
            + "; the target cannot confirm it discarded the container (" + e.getMessage() + "), so the copy here stays"
            + " frozen until GetMigration on the target settles it", failure);
      }
    } else {
      try {
        peer.abort();
      } catch (MigrationException e) {
        log.warn("migration={} target not told to discard (it cannot run the container): {}", request.id(), e.getMessage());
      }
    }
    boolean touched = journal.phase() != Phase.PREPARED;
    journal = store.save(journal.moveTo(Phase.ROLLING_BACK, failure.getMessage(), clock.instant()));
    report(failure.getMessage());
    if (lazyDump != null) {
      lazyDump.close();
    }
    if (touched) {
      SourceRollback.resume(container, request.id());
    }
    journal = store.save(journal.moveTo(Phase.ABORTED, "rolled back: " + failure.getMessage(), clock.instant()));
    store.finish(journal);
    report(journal.detail());
    return failure;
  }

  // ---- helpers ----

  private void move(Phase to, String why) {
    journal = store.save(journal.moveTo(to, why, clock.instant()));
    report(why);
  }

  private void checkCancelled() {
    if (cancelled) {
      throw new MigrationException(Kind.ABORTED, "migration " + request.id() + " aborted by request");
    }
    if (millisSince(startedNanos) > settings.timeout().toMillis()) {
      throw new MigrationException(Kind.TIMEOUT, "migration " + request.id() + " exceeded its " + settings.timeout().toSeconds()
          + " s timeout");
    }
  }

  private long lastReportNanos;

  private void reportThrottled() {
    long now = System.nanoTime();
    if (now - lastReportNanos > 250_000_000L) {
      lastReportNanos = now;
      report("");
    }
  }

  private void report(String detail) {
    try {
      listener.accept(progress(detail, Optional.empty()));
    } catch (RuntimeException e) {
      log.debug("migration={} progress listener failed: {}", request.id(), e.toString());
    }
  }

  private Progress progress(String detail, Optional<Result> result) {
    return new Progress(request.id(), journal.phase(), meter.sent(), meter.total(), meter.bytesPerSecond(), meter.etaSeconds(),
        detail, result);
  }

  private Path workDir() {
    return store.workDir(request.id(), journal.role());
  }

  private void deleteWorkDir() {
    SourceRollback.deleteTree(workDir());
  }

  private static void createEmpty(Path dir) {
    try {
      SourceRollback.deleteTree(dir);
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int freeLoopbackPort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw MigrationException.internal("no free loopback port for CRIU's page server: " + e.getMessage(), e);
    }
  }

  private static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }
}
