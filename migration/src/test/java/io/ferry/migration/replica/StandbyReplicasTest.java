package io.ferry.migration.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationException.Kind;
import io.ferry.migration.protocol.MigrationSettings;
import io.ferry.migration.transfer.FileReceiver;
import io.ferry.migration.transfer.TarStreams;
import io.ferry.proto.v1.FileChunk;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The standby's consistency rule on real tar and files (no root): only a complete pass replaces the
 * last one, whatever breaks and whenever the agent dies; strangers are refused.
 */
class StandbyReplicasTest {

  private static final String PRIMARY = "host-a";
  private static final String TOKEN = "0123456789abcdef0123";
  private static final String DIGEST = "ab".repeat(32);

  @TempDir Path state;
  @TempDir Path source;
  @TempDir Path promotedInto;

  private final FakeHost host = new FakeHost();
  private TarStreams tar;
  private StandbyReplicas replicas;

  @BeforeEach
  void prepare() {
    tar = new TarStreams(state.resolve("tmp"));
    replicas = open();
    replicas.recover();
    replicas.prepare(new ReplicaPrepare("box", new byte[] {1, 2}, DIGEST, PRIMARY, "10.0.0.1:7701", TOKEN));
  }

  private StandbyReplicas open() {
    return new StandbyReplicas(state.resolve("replicas"), host, (address, container, token, digest) -> {
      throw new AssertionError("no image fetch expected");
    }, tar, MigrationSettings.DEFAULTS, Clock.fixed(Instant.parse("2026-11-30T10:00:00Z"), ZoneOffset.UTC));
  }

  @Test
  void aDeltaIsBuiltBesideTheKeptPassAndNeverWritesThroughItsHardLinks() throws Exception {
    Files.writeString(source.resolve("a"), "v1");
    Files.writeString(source.resolve("gone"), "x");
    pass(false, 0, List.of(), Optional.empty());
    Path gen1 = replicaDir().resolve("gen-1");

    Files.writeString(source.resolve("a"), "v2");
    FileReceiver.Sink sink = replicas.receive(header(true, 1, List.of("gone")), Optional.of(PRIMARY));
    sink.write(ByteString.copyFrom(tarOf(List.of("a"))));
    sink.finish(0, "");

    assertThat(gen1).doesNotExist();
    assertThat(Files.readString(replicaDir().resolve("gen-2/a"))).isEqualTo("v2");
    assertThat(replicaDir().resolve("gen-2/gone")).doesNotExist();
    assertThat(replicas.find("box").orElseThrow().generation()).isEqualTo(2);
  }

  @Test
  void aPassThatBreaksLeavesTheLastCompleteOneAndItsRecord() throws Exception {
    Files.writeString(source.resolve("a"), "v1");
    pass(false, 0, List.of(), Optional.empty());

    Files.writeString(source.resolve("a"), "half-sent");
    FileReceiver.Sink sink = replicas.receive(header(true, 1, List.of()), Optional.of(PRIMARY));
    sink.write(ByteString.copyFrom(tarOf(List.of("a"))));
    Path unpacked = replicaDir().resolve("incoming-2/a");
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
        .until(() -> Files.exists(unpacked) && Files.readString(unpacked).equals("half-sent"));
    assertThat(Files.readString(replicaDir().resolve("gen-1/a"))).as("the clone's link was not written through").isEqualTo("v1");
    sink.abort(new RuntimeException("stream broken"));

    assertThat(names(replicaDir())).containsExactlyInAnyOrder("replica.json", "gen-1");
    assertThat(Files.readString(replicaDir().resolve("gen-1/a"))).isEqualTo("v1");
    assertThat(replicas.find("box").orElseThrow().generation()).isEqualTo(1);
    replicas.promote("box", "10.100.0.9", "02:00:00:00:00:09");
    assertThat(Files.readString(promotedInto.resolve("box/a"))).isEqualTo("v1");
  }

  @Test
  void anAgentThatDiesDuringAPassOrItsCommitRestartsOnTheLastCompletePass() throws Exception {
    Files.writeString(source.resolve("a"), "v1");
    pass(false, 0, List.of(), Optional.empty());

    // Dies while unpacking a delta (the sink is never finished nor aborted)...
    Files.writeString(source.resolve("a"), "torn");
    FileReceiver.Sink torn = replicas.receive(header(true, 1, List.of()), Optional.of(PRIMARY));
    torn.write(ByteString.copyFrom(tarOf(List.of("a"))));
    // ...or after the complete tree was renamed into place but before the record named it.
    Files.createDirectories(replicaDir().resolve("gen-2"));
    Files.writeString(replicaDir().resolve("gen-2/a"), "unconfirmed");

    StandbyReplicas restarted = open();
    restarted.recover();
    assertThat(names(replicaDir())).containsExactlyInAnyOrder("replica.json", "gen-1");
    assertThat(restarted.find("box").orElseThrow().generation()).isEqualTo(1);
    restarted.promote("box", "10.100.0.9", "02:00:00:00:00:09");
    assertThat(Files.readString(promotedInto.resolve("box/a"))).isEqualTo("v1");
    assertThat(restarted.list()).isEmpty();
  }

  @Test
  void aReplicaWhoseTreeWasLostNeedsAFullPassAndCannotBePromoted() throws Exception {
    Files.writeString(source.resolve("a"), "v1");
    pass(false, 0, List.of(), Optional.empty());
    io.ferry.migration.target.SafePaths.removeTree(replicaDir().resolve("gen-1"));

    StandbyReplicas restarted = open();
    restarted.recover();
    assertThat(restarted.find("box").orElseThrow().promotable()).isFalse();
    assertKind(() -> restarted.promote("box", "10.100.0.9", "02:00:00:00:00:09"), Kind.FAILED_PRECONDITION);
    assertKind(() -> restarted.receive(header(true, 1, List.of()), Optional.of(PRIMARY)), Kind.FAILED_PRECONDITION);
  }

  @Test
  void onlyTheSourceHostWithTheTokenMaySendAndADeltaMustApplyToTheKeptGeneration() throws Exception {
    Files.writeString(source.resolve("a"), "v1");
    pass(false, 0, List.of(), Optional.empty());

    assertKind(() -> replicas.receive(header(false, 0, List.of()), Optional.of("host-evil")), Kind.PERMISSION_DENIED);
    assertKind(() -> replicas.receive(header(false, 0, List.of()), Optional.empty()), Kind.PERMISSION_DENIED);
    assertKind(() -> replicas.receive(header(false, 0, List.of()).toBuilder().setToken("x".repeat(20)).build(), Optional.of(PRIMARY)),
        Kind.PERMISSION_DENIED);
    assertKind(() -> replicas.receive(header(false, 0, List.of()).toBuilder().setReplicaContainer("other").build(), Optional.of(PRIMARY)),
        Kind.PERMISSION_DENIED);
    assertKind(() -> replicas.receive(header(true, 7, List.of()), Optional.of(PRIMARY)), Kind.FAILED_PRECONDITION);
    assertKind(() -> replicas.receive(header(true, 1, List.of("../../etc")), Optional.of(PRIMARY)), Kind.INVALID_ARGUMENT);
    assertThat(names(replicaDir())).containsExactlyInAnyOrder("replica.json", "gen-1");
    // The refused calls left the replica free for the next pass.
    pass(true, 1, List.of(), Optional.of(List.of("a")));
    assertThat(replicas.find("box").orElseThrow().generation()).isEqualTo(2);
  }

  @Test
  void preparingAgainKeepsThePassesAndReplacesTheToken() throws Exception {
    Files.writeString(source.resolve("a"), "v1");
    pass(false, 0, List.of(), Optional.empty());
    replicas.prepare(new ReplicaPrepare("box", new byte[] {1, 2}, DIGEST, PRIMARY, "10.0.0.1:7701", "another-token-of-20c"));

    assertThat(replicas.find("box").orElseThrow().generation()).isEqualTo(1);
    assertKind(() -> replicas.receive(header(false, 0, List.of()), Optional.of(PRIMARY)), Kind.PERMISSION_DENIED);
    assertKind(() -> replicas.prepare(new ReplicaPrepare("box", new byte[0], DIGEST, PRIMARY, "a:1", "short")), Kind.INVALID_ARGUMENT);
  }

  // ---- helpers ----

  private void pass(boolean delta, long base, List<String> deleted, Optional<List<String>> entries) throws Exception {
    FileReceiver.Sink sink = replicas.receive(header(delta, base, deleted), Optional.of(PRIMARY));
    sink.write(ByteString.copyFrom(entries.isPresent() ? tarOf(entries.get()) : tarOfAll()));
    sink.finish(0, "");
  }

  private FileChunk.Header header(boolean delta, long base, List<String> deleted) {
    return FileChunk.Header.newBuilder().setKind(FileChunk.Header.Kind.KIND_ROOTFS).setReplicaContainer("box").setToken(TOKEN)
        .setDelta(delta).setReplicaBase(base).addAllDeleted(deleted).build();
  }

  private byte[] tarOfAll() throws Exception {
    return pack(Optional.empty());
  }

  private byte[] tarOf(List<String> entries) throws Exception {
    return pack(Optional.of(entries));
  }

  private byte[] pack(Optional<List<String>> entries) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarStreams.Packing packing = tar.pack(source, entries, false, Duration.ofSeconds(30)); InputStream in = packing.output()) {
      in.transferTo(out);
      packing.finish();
    }
    return out.toByteArray();
  }

  private Path replicaDir() {
    return state.resolve("replicas").resolve("box");
  }

  private static List<String> names(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).toList();
    }
  }

  private static void assertKind(Runnable call, Kind kind) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(MigrationException.class, e -> assertThat(e.kind()).isEqualTo(kind));
  }

  /** Holds every image; a promotion moves the tree under {@code promotedInto/<name>}. */
  private final class FakeHost implements StandbyHost {
    @Override
    public boolean hasContainer(String name) {
      return false;
    }

    @Override
    public boolean hasImage(String digest) {
      return true;
    }

    @Override
    public void importImage(String digest, InputStream archive, List<String> aliases) {
      throw new AssertionError("no import expected");
    }

    @Override
    public long diskFreeBytes() {
      return 1L << 40;
    }

    @Override
    public void promote(String name, byte[] spec, String imageDigest, Path tree, String address, String mac) {
      try {
        Files.move(tree, promotedInto.resolve(name));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }
}
