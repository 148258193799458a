package io.ferry.migration.source;

import io.ferry.migration.protocol.HostCapabilities;
import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationException.Kind;
import io.ferry.migration.protocol.Phase;
import io.ferry.migration.transfer.TarStreams;
import io.ferry.proto.v1.FileChunk;
import io.ferry.proto.v1.RestoreIncomingRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/** A source host with one container and a target, both fakes that record what happens to them. */
final class FakeSource implements SourceHost {

  static final HostCapabilities CRIU = new HostCapabilities("src", true, "", Set.of("uffd", "uffd-noncoop"));

  final Path upper;
  final Box box = new Box();
  final Target target = new Target();
  boolean held;

  FakeSource(Path upper) {
    this.upper = upper;
  }

  @Override
  public HostCapabilities capabilities() {
    return CRIU;
  }

  @Override
  public SourceContainer take(String name, String migrationId, boolean mustRun) {
    if (!name.equals("box")) {
      throw MigrationException.notFound("no container " + name);
    }
    if (held) {
      throw MigrationException.precondition("container box is busy");
    }
    if (mustRun && box.state != SourceContainer.State.RUNNING) {
      throw MigrationException.precondition("box is " + box.state);
    }
    held = true;
    return box;
  }

  /** The container: a state, a link, and the steps taken. */
  final class Box implements SourceContainer {
    State state = State.RUNNING;
    boolean linkUp = true;
    boolean destroyed;
    RuntimeException dumpFailure;
    /** When set, the dump starts only once this opens (e.g. once the frozen pass is under way). */
    volatile java.util.concurrent.CountDownLatch dumpAfter;
    final List<String> steps = new ArrayList<>();
    /**
     * Runs at each look at the layer (each {@link #upperDir()} call), with the number of the look:
     * a pass looks once to scan it and once to pack it, so a test can change the layer in between.
     */
    volatile java.util.function.IntConsumer onLook = n -> {};
    private final java.util.concurrent.atomic.AtomicInteger looks = new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public String name() {
      return "box";
    }

    @Override
    public String imageDigest() {
      return "digest";
    }

    @Override
    public State state() {
      return state;
    }

    @Override
    public long memoryBytes() {
      return 1 << 20;
    }

    @Override
    public Path upperDir() {
      onLook.accept(looks.incrementAndGet());
      return upper;
    }

    @Override
    public void stop() {
      steps.add("stop");
      state = State.STOPPED;
    }

    @Override
    public void start() {
      steps.add("start");
      state = State.RUNNING;
    }

    @Override
    public void freeze() {
      steps.add("freeze");
      state = State.FROZEN;
    }

    @Override
    public void unfreeze() {
      steps.add("unfreeze");
      state = State.RUNNING;
    }

    @Override
    public void setLinkUp(boolean up) {
      steps.add(up ? "link-up" : "link-down");
      linkUp = up;
    }

    @Override
    public long dump(Path imageDir, boolean tcpEstablished) {
      steps.add("dump");
      java.util.concurrent.CountDownLatch after = dumpAfter;
      if (after != null) {
        try {
          after.await(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (dumpFailure != null) {
        throw dumpFailure;
      }
      try {
        Files.writeString(imageDir.resolve("pages-1.img"), "memory");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return 6;
    }

    @Override
    public long dumpToPageServer(Path imageDir, boolean tcpEstablished, int pageServerPort) {
      throw new UnsupportedOperationException("streamed pages are covered by the integration tests");
    }

    @Override
    public LazyDump dumpLazily(Path imageDir, boolean tcpEstablished, int pageServerPort) {
      throw new UnsupportedOperationException("post-copy is covered by the integration tests");
    }

    @Override
    public void destroy() {
      steps.add("destroy");
      destroyed = true;
    }

    @Override
    public void close() {
      held = false;
    }
  }

  /** The target as the source sees it. */
  static final class Target implements TargetPeer {
    final List<String> received = new ArrayList<>();
    final List<List<String>> deletions = new ArrayList<>();
    Supplier<RuntimeException> restoreFailure = () -> null;
    Supplier<RuntimeException> sendFailure = () -> null;
    Supplier<RuntimeException> abortFailure = () -> null;
    Supplier<Optional<Phase>> phase = () -> Optional.of(Phase.AWAITING_COMMIT);
    RestoreIncomingRequest restored;
    int aborts;
    /** What happened, in order: "delta-start", "delta-end", "cancel", "abort". */
    final List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
    /**
     * When set, the layer as the target would have it: passes are unpacked into it, a delta after
     * its deletions are applied.
     */
    volatile Path tree;
    /** When set, a delta stream waits here until released or cut by {@link #cancelInFlight}. */
    volatile java.util.concurrent.CountDownLatch deltaGate;
    final java.util.concurrent.CountDownLatch deltaStarted = new java.util.concurrent.CountDownLatch(1);
    private volatile boolean cancelled;

    @Override
    public HostCapabilities capabilities() {
      return new HostCapabilities("dst", true, "", Set.of("uffd", "uffd-noncoop"));
    }

    @Override
    public long send(FileChunk.Header header, InputStream data, LongConsumer onBytes) {
      String kind = header.getKind() == FileChunk.Header.Kind.KIND_CHECKPOINT ? "images" : header.getDelta() ? "delta" : "rootfs";
      RuntimeException failure = sendFailure.get();
      if (failure != null && kind.equals("images")) {
        throw failure;
      }
      if (cancelled) {
        throw new MigrationException(Kind.ABORTED, "cancelled");
      }
      if (kind.equals("delta") && deltaGate != null) {
        events.add("delta-start");
        deltaStarted.countDown();
        try {
          deltaGate.await(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        events.add("delta-end");
        if (cancelled) {
          throw new MigrationException(Kind.ABORTED, "cancelled");
        }
      }
      try {
        long n = tree != null && !kind.equals("images") ? unpack(header, data) : data.transferTo(java.io.OutputStream.nullOutputStream());
        onBytes.accept(n);
        received.add(kind);
        deletions.add(header.getDeletedList());
        return n;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private long unpack(FileChunk.Header header, InputStream data) throws IOException {
      for (String gone : header.getDeletedList()) {
        Path path = tree.resolve(gone);
        if (Files.isDirectory(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          try (var walk = Files.walk(path)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
              Files.delete(p);
            }
          }
        } else {
          Files.deleteIfExists(path);
        }
      }
      try (TarStreams.Unpacking unpacking = new TarStreams(tree.resolveSibling(tree.getFileName() + "-tar")).unpack(tree,
          Duration.ofSeconds(30))) {
        long n = data.transferTo(unpacking.input());
        unpacking.finish();
        return n;
      }
    }

    @Override
    public void restore(RestoreIncomingRequest request) {
      RuntimeException failure = restoreFailure.get();
      if (failure != null) {
        throw failure;
      }
      restored = request;
    }

    @Override
    public Optional<Phase> phase() {
      return phase.get();
    }

    @Override
    public void cancelInFlight() {
      events.add("cancel");
      cancelled = true;
      java.util.concurrent.CountDownLatch gate = deltaGate;
      if (gate != null) {
        gate.countDown();
      }
    }

    @Override
    public void abort() {
      events.add("abort");
      aborts++;
      RuntimeException failure = abortFailure.get();
      if (failure != null) {
        throw failure;
      }
    }

    @Override
    public CompletableFuture<Void> tunnel(String tunnelId, Socket local, LongConsumer sentBytes) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletableFuture<Void> tunnel(String tunnelId, CompletableFuture<Socket> local, LongConsumer sentBytes) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void close() {}
  }

  static MigrationException unavailable() {
    return new MigrationException(Kind.UNAVAILABLE, "connection refused");
  }

  static Duration seconds(int s) {
    return Duration.ofSeconds(s);
  }
}
