package io.ferry.migration.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ferry.migration.protocol.HostCapabilities;
import io.ferry.migration.protocol.Journal;
import io.ferry.migration.protocol.JournalStore;
import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationException.Kind;
import io.ferry.migration.protocol.MigrationSettings;
import io.ferry.migration.protocol.Mode;
import io.ferry.migration.protocol.Phase;
import io.ferry.migration.protocol.Role;
import io.ferry.migration.transfer.FileReceiver;
import io.ferry.migration.transfer.TarStreams;
import io.ferry.proto.v1.FileChunk;
import io.ferry.proto.v1.RestoreIncomingRequest;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The target side on a fake host: tokens, phases, what it keeps and what it discards. */
class IncomingMigrationsTest {

  private static final String TOKEN = "0123456789abcdef0123";

  @TempDir Path state;
  @TempDir Path source;
  private JournalStore store;
  private FakeHost host;
  private IncomingMigrations incoming;

  /** A host with one slot per name; records what happened to each. */
  static final class FakeHost implements TargetHost {
    final Path containers;
    /** Synchronised: the adopt begun ahead runs on another thread. */
    final List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
    final Set<String> existing = new java.util.HashSet<>();
    boolean hasImage = true;
    RuntimeException restoreFailure;

    FakeHost(Path containers) {
      this.containers = containers;
    }

    @Override
    public HostCapabilities capabilities() {
      return new HostCapabilities("dst", true, "", Set.of("uffd", "uffd-noncoop"));
    }

    @Override
    public IncomingSlot reserve(String name, String migrationId, boolean recovering) {
      if (existing.contains(name) && !recovering) {
        throw new MigrationException(Kind.ALREADY_EXISTS, "container " + name + " already exists");
      }
      events.add("reserve " + name);
      Path dir = containers.resolve(name);
      return new IncomingSlot() {
        @Override
        public Path upperDir() {
          return dir.resolve("upper");
        }

        @Override
        public Path checkpointDir() {
          return dir.resolve("checkpoint");
        }

        @Override
        public Path emptyCheckpointDir() {
          try {
            SafePaths.removeTree(checkpointDir());
            return java.nio.file.Files.createDirectories(checkpointDir());
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }

        @Override
        public void adopt(byte[] spec, String imageDigest, String address, String mac, boolean forRestore) {
          events.add("adopt " + address + " " + mac);
        }

        @Override
        public String start() {
          events.add("start");
          return "pid 1";
        }

        @Override
        public Restored restore(boolean tcpEstablished, OptionalInt lazyPagesPort) {
          if (restoreFailure != null) {
            throw restoreFailure;
          }
          events.add("restore tcp=" + tcpEstablished);
          return new Restored("pid 2", CompletableFuture.completedFuture(null));
        }

        @Override
        public PageServer servePages(int port) {
          throw new UnsupportedOperationException("streamed pages are covered by the integration tests");
        }

        @Override
        public void discard() {
          events.add("discard");
          try {
            SafePaths.removeTree(dir);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }

        @Override
        public void close() {
          events.add("release " + name);
        }
      };
    }

    @Override
    public boolean hasImage(String digest) {
      return hasImage;
    }

    @Override
    public void importImage(String digest, InputStream archive, List<String> aliases) {
      events.add("import " + digest);
    }

    @Override
    public long diskFreeBytes() {
      return 1L << 40;
    }
  }

  @BeforeEach
  void setUp() {
    store = new JournalStore(state.resolve("migrations"));
    host = new FakeHost(state.resolve("containers"));
    incoming = newIncoming();
  }

  private IncomingMigrations newIncoming() {
    MigrationSettings settings = new MigrationSettings(Duration.ofSeconds(30), Duration.ofSeconds(5), 1L << 30, 0,
        Duration.ofHours(1), MigrationSettings.FaultPoint.NONE, 0);
    return new IncomingMigrations(store, host, (address, id, token) -> {
      throw new AssertionError("no image fetch expected");
    }, settings, Clock.systemUTC(), new TarStreams(state.resolve("tmp")));
  }

  private PrepareRequest prepare(String id, Mode mode) {
    return new PrepareRequest(id, "web", new byte[] {1}, "digest", "10.100.0.5", "02:00:00:00:00:05", mode, "10.0.0.1:7701", TOKEN);
  }

  /** Packs {@code source} (all of it, or a delta) and feeds it to a sink as one chunk. */
  private void send(String id, FileChunk.Header.Kind kind, boolean delta, List<String> deleted) throws Exception {
    TarStreams tar = new TarStreams(state.resolve("tmp"));
    byte[] bytes;
    try (TarStreams.Packing packing = tar.pack(source, Optional.empty(), false, Duration.ofSeconds(30))) {
      bytes = packing.output().readAllBytes();
      packing.finish();
    }
    FileReceiver.Sink sink = incoming.receive(FileChunk.Header.newBuilder().setMigrationId(id).setToken(TOKEN)
        .setKind(kind).setDelta(delta).addAllDeleted(deleted).build());
    sink.write(ByteString.copyFrom(bytes));
    sink.finish(bytes.length, "");
  }

  private RestoreIncomingRequest restore(String id, boolean fromCheckpoint) {
    return RestoreIncomingRequest.newBuilder().setMigrationId(id).setToken(TOKEN).setFromCheckpoint(fromCheckpoint)
        .setTcpEstablished(true).build();
  }

  @Test
  void prepareIsIdempotentAndHoldsTheName() {
    Journal first = incoming.prepare(prepare("m-1", Mode.LIVE));
    assertThat(incoming.prepare(prepare("m-1", Mode.LIVE)).id()).isEqualTo(first.id());
    assertThatThrownBy(() -> incoming.prepare(prepare("m-2", Mode.LIVE)))
        .isInstanceOfSatisfying(MigrationException.class, e -> assertThat(e.kind()).isEqualTo(Kind.ALREADY_EXISTS));
    host.existing.add("other");
    assertThatThrownBy(() -> incoming.prepare(new PrepareRequest("m-3", "other", new byte[0], "d", "a", "m", Mode.LIVE, "s", TOKEN)))
        .hasMessageContaining("already exists");
    assertThatThrownBy(() -> incoming.prepare(new PrepareRequest("m-4", "x", new byte[0], "d", "a", "m", Mode.PRE_COPY, "s", TOKEN)))
        .hasMessageContaining("mem_dirty_track");
  }

  @Test
  void dataNeedsThePreparedMigrationsToken() {
    incoming.prepare(prepare("m-1", Mode.LIVE));
    assertThatThrownBy(() -> incoming.receive(FileChunk.Header.newBuilder().setMigrationId("m-1").setToken("wrong-token-xxxxxxx")
        .setKind(FileChunk.Header.Kind.KIND_ROOTFS).build()))
        .isInstanceOfSatisfying(MigrationException.class, e -> assertThat(e.kind()).isEqualTo(Kind.PERMISSION_DENIED));
    assertThatThrownBy(() -> incoming.receive(FileChunk.Header.newBuilder().setMigrationId("m-9").setToken(TOKEN)
        .setKind(FileChunk.Header.Kind.KIND_ROOTFS).build()))
        .isInstanceOfSatisfying(MigrationException.class, e -> assertThat(e.kind()).isEqualTo(Kind.PERMISSION_DENIED));
    assertThatThrownBy(() -> incoming.restore(restore("m-1", true).toBuilder().setToken("nope-nope-nope-nope").build()))
        .isInstanceOfSatisfying(MigrationException.class, e -> assertThat(e.kind()).isEqualTo(Kind.PERMISSION_DENIED));
  }

  @Test
  void aLiveMoveIsUnpackedRestoredAndKeptOnCommit() throws Exception {
    incoming.prepare(prepare("m-1", Mode.LIVE));
    Files.createDirectories(source.resolve("etc"));
    Files.writeString(source.resolve("etc/conf"), "v1");
    send("m-1", FileChunk.Header.Kind.KIND_ROOTFS, false, List.of());
    Path upper = state.resolve("containers/web/upper");
    Files.writeString(upper.resolve("stale"), "removed by the delta");
    assertThatThrownBy(() -> incoming.restore(restore("m-1", true))).as("no checkpoint yet").hasMessageContaining("no checkpoint");

    send("m-1", FileChunk.Header.Kind.KIND_CHECKPOINT, false, List.of());
    Files.writeString(source.resolve("etc/conf"), "v2");
    send("m-1", FileChunk.Header.Kind.KIND_ROOTFS, true, List.of("stale"));
    assertThat(Files.readString(upper.resolve("etc/conf"))).isEqualTo("v2");
    assertThat(upper.resolve("stale")).doesNotExist();
    assertThat(state.resolve("containers/web/checkpoint/etc/conf")).exists();

    incoming.restore(restore("m-1", true));
    assertThat(host.events).contains("adopt 10.100.0.5 02:00:00:00:00:05", "restore tcp=true");
    assertThat(incoming.journal("m-1")).map(Journal::phase).contains(Phase.AWAITING_COMMIT);
    assertThatThrownBy(() -> send("m-1", FileChunk.Header.Kind.KIND_ROOTFS, true, List.of()))
        .as("no data after the restore").hasMessageContaining("takes no data");

    incoming.commit("m-1");
    assertThat(host.events).last().isEqualTo("release web");
    assertThat(store.find("m-1", Role.TARGET)).isEmpty();
    assertThat(incoming.outcome("m-1")).map(o -> o.phase()).contains(Phase.COMMITTED);
    assertThatThrownBy(() -> incoming.abort("m-1", "late")).hasMessageContaining("committed");
  }

  /**
   * A live move in the order a source sends it: the first pass, the final delta ({@code
   * beforeImages} runs then), the images.
   */
  private void receiveLiveMoveUpToItsImages(String id, Runnable beforeImages) throws Exception {
    incoming.prepare(prepare(id, Mode.LIVE));
    Files.writeString(source.resolve("f"), "x");
    send(id, FileChunk.Header.Kind.KIND_ROOTFS, false, List.of());
    send(id, FileChunk.Header.Kind.KIND_ROOTFS, true, List.of());
    beforeImages.run();
    send(id, FileChunk.Header.Kind.KIND_CHECKPOINT, false, List.of());
  }

  @Test
  void imagesArrivingAfterTheFinalDeltaAdoptTheContainerBeforeTheRestoreAsks() throws Exception {
    receiveLiveMoveUpToItsImages("m-1", () -> assertThat(host.events).noneMatch(e -> e.startsWith("adopt")));
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> host.events.contains("adopt 10.100.0.5 02:00:00:00:00:05"));
    assertThatThrownBy(() -> send("m-1", FileChunk.Header.Kind.KIND_ROOTFS, true, List.of()))
        .as("the layer is mounted: no pass may follow").hasMessageContaining("no pass of the writable layer");

    incoming.restore(restore("m-1", true));
    assertThat(host.events.stream().filter(e -> e.startsWith("adopt"))).hasSize(1);
    assertThat(host.events).containsSubsequence("adopt 10.100.0.5 02:00:00:00:00:05", "restore tcp=true");
    assertThat(incoming.journal("m-1")).map(Journal::phase).contains(Phase.AWAITING_COMMIT);
  }

  @Test
  void anAbortAfterTheImagesUndoesTheAdoptBegunAhead() throws Exception {
    receiveLiveMoveUpToItsImages("m-1", () -> {});

    incoming.abort("m-1", "coordinator");

    assertThat(host.events).containsSubsequence("adopt 10.100.0.5 02:00:00:00:00:05", "discard", "release web");
    assertThat(state.resolve("containers/web")).doesNotExist();
    assertThat(incoming.outcome("m-1")).map(o -> o.phase()).contains(Phase.ABORTED);
  }

  @Test
  void aFailedRestoreDiscardsEverythingAtOnce() throws Exception {
    incoming.prepare(prepare("m-1", Mode.LIVE));
    Files.writeString(source.resolve("f"), "x");
    send("m-1", FileChunk.Header.Kind.KIND_ROOTFS, false, List.of());
    send("m-1", FileChunk.Header.Kind.KIND_CHECKPOINT, false, List.of());
    host.restoreFailure = new MigrationException(Kind.INTERNAL, "criu: restore failed");

    assertThatThrownBy(() -> incoming.restore(restore("m-1", true))).hasMessageContaining("restore failed");
    assertThat(host.events).contains("discard", "release web");
    assertThat(state.resolve("containers/web")).doesNotExist();
    assertThat(store.find("m-1", Role.TARGET)).isEmpty();
    assertThat(incoming.abort("m-1", "coordinator")).map(o -> o.phase()).contains(Phase.ABORTED);
    assertThatThrownBy(() -> incoming.commit("m-1")).hasMessageContaining("aborted");
  }

  @Test
  void anAbortDiscardsWhatWasReceived() throws Exception {
    incoming.prepare(prepare("m-1", Mode.NEAR_LIVE));
    Files.writeString(source.resolve("f"), "x");
    send("m-1", FileChunk.Header.Kind.KIND_ROOTFS, false, List.of());
    incoming.abort("m-1", "coordinator");
    assertThat(state.resolve("containers/web")).doesNotExist();
    assertThat(store.find("m-1", Role.TARGET)).isEmpty();
    assertThat(incoming.abort("m-1", "again")).as("idempotent").isPresent();
    assertThat(incoming.commit("m-9")).as("unknown: committed and forgotten").isEmpty();
  }

  @Test
  void aRestartedTargetDiscardsAnUnconfirmedRestoreAndKeepsTheRest() {
    Instant now = Instant.now();
    store.save(Journal.target("m-restoring", "a", Mode.LIVE, TOKEN, "s", "d", new byte[0], "ip", "mac", now)
        .moveTo(Phase.SYNCING_ROOTFS, "", now).withRestoreSent().moveTo(Phase.RESTORING, "", now));
    store.save(Journal.target("m-receiving", "b", Mode.LIVE, TOKEN, "s", "d", new byte[0], "ip", "mac", now)
        .moveTo(Phase.SYNCING_ROOTFS, "", now));
    store.save(Journal.target("m-running", "c", Mode.LIVE, TOKEN, "s", "d", new byte[0], "ip", "mac", now)
        .moveTo(Phase.SYNCING_ROOTFS, "", now).withRestoreSent().moveTo(Phase.RESTORING, "", now)
        .moveTo(Phase.AWAITING_COMMIT, "", now));

    IncomingMigrations recovered = newIncoming();
    recovered.recover();
    assertThat(recovered.journal("m-restoring")).isEmpty();
    assertThat(recovered.outcome("m-restoring")).map(o -> o.phase()).contains(Phase.ABORTED);
    assertThat(recovered.journal("m-receiving")).map(Journal::phase).contains(Phase.SYNCING_ROOTFS);
    assertThat(recovered.journal("m-running")).map(Journal::phase).contains(Phase.AWAITING_COMMIT);
    assertThat(recovered.heldContainers()).containsExactlyInAnyOrder("b", "c");
  }

  @Test
  void deletionsNeverLeaveTheLayer() throws Exception {
    incoming.prepare(prepare("m-1", Mode.LIVE));
    Files.writeString(source.resolve("f"), "x");
    send("m-1", FileChunk.Header.Kind.KIND_ROOTFS, false, List.of());
    Path outside = state.resolve("outside");
    Files.writeString(outside, "keep");
    assertThatThrownBy(() -> send("m-1", FileChunk.Header.Kind.KIND_ROOTFS, true, List.of("../../outside")))
        .isInstanceOfSatisfying(MigrationException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT));
    Files.createSymbolicLink(state.resolve("containers/web/upper/link"), state);
    send("m-1", FileChunk.Header.Kind.KIND_ROOTFS, true, List.of("link/outside"));
    assertThat(outside).as("not removed through a symlink").exists();
  }
}
