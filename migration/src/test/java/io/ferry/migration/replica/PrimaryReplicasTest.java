package io.ferry.migration.replica;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ferry.migration.protocol.MigrationSettings;
import io.ferry.migration.transfer.FileReceiver;
import io.ferry.migration.transfer.TarStreams;
import io.ferry.proto.v1.FileChunk;
import io.ferry.proto.v1.ReceiveFilesResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A primary sending passes to a real standby (in this JVM, no gRPC): a full pass, then deltas,
 * also after the primary restarted; a standby that lost the generation a delta builds on gets a
 * full pass in the same call.
 */
class PrimaryReplicasTest {

  private static final String TOKEN = "0123456789abcdef0123";
  private static final String DIGEST = "cd".repeat(32);

  @TempDir Path primaryState;
  @TempDir Path standbyState;
  @TempDir Path layer;
  @TempDir Path promotedInto;

  private StandbyReplicas standby;

  @BeforeEach
  void prepareStandby() {
    standby = new StandbyReplicas(standbyState.resolve("replicas"), new PromotingHost(), (a, c, t, d) -> {
      throw new AssertionError("no image fetch expected");
    }, new TarStreams(standbyState.resolve("tmp")), MigrationSettings.DEFAULTS, Clock.systemUTC());
    standby.recover();
    standby.prepare(new ReplicaPrepare("box", new byte[0], DIGEST, "host-a", "10.0.0.1:7701", TOKEN));
  }

  private PrimaryReplicas primary() {
    return new PrimaryReplicas(primaryState.resolve("replicas-out"), container -> new PrimaryHost.Layer(layer, DIGEST),
        address -> new InJvmStandby(), new TarStreams(primaryState.resolve("tmp")), MigrationSettings.DEFAULTS, Clock.systemUTC());
  }

  private static ReplicationRequest request() {
    return new ReplicationRequest("box", "host-b", "10.0.0.2:7701", TOKEN);
  }

  @Test
  void aFullPassThenDeltasAlsoAfterThePrimaryRestarted() throws Exception {
    Files.createDirectories(layer.resolve("data"));
    Files.write(layer.resolve("data/big"), new byte[1 << 20]);
    Files.writeString(layer.resolve("data/small"), "v1");
    Files.writeString(layer.resolve("data/gone"), "x");

    PassResult first = primary().replicate(request());
    assertThat(first.full()).isTrue();
    assertThat(first.generation()).isEqualTo(1);
    assertThat(first.bytes()).isGreaterThan(1 << 20);

    Files.writeString(layer.resolve("data/small"), "v2");
    Files.delete(layer.resolve("data/gone"));
    PassResult second = primary().replicate(request()); // a new instance: as after an agent restart
    assertThat(second.full()).as(second.detail()).isFalse();
    assertThat(second.generation()).isEqualTo(2);
    assertThat(second.bytes()).isLessThan(64 << 10);
    assertThat(second.deleted()).isEqualTo(1);

    standby.promote("box", "10.100.0.9", "02:00:00:00:00:09");
    Path tree = promotedInto.resolve("box");
    assertThat(Files.readString(tree.resolve("data/small"))).isEqualTo("v2");
    assertThat(tree.resolve("data/gone")).doesNotExist();
    assertThat(Files.size(tree.resolve("data/big"))).isEqualTo(1 << 20);
  }

  @Test
  void aStandbyThatLostTheBaseOfADeltaGetsAFullPassInTheSameCall() throws Exception {
    Files.writeString(layer.resolve("a"), "v1");
    PrimaryReplicas primary = primary();
    primary.replicate(request());
    // The standby lost its passes (here: prepared again for another image, which resets them).
    standby.prepare(new ReplicaPrepare("box", new byte[0], "ef".repeat(32), "host-a", "10.0.0.1:7701", TOKEN));
    standby.prepare(new ReplicaPrepare("box", new byte[0], DIGEST, "host-a", "10.0.0.1:7701", TOKEN));
    Files.writeString(layer.resolve("a"), "v2");

    PassResult again = primary.replicate(request());
    assertThat(again.full()).isTrue();
    assertThat(again.detail()).contains("refused a delta");
    assertThat(again.generation()).isEqualTo(1);
    standby.promote("box", "10.100.0.9", "02:00:00:00:00:09");
    assertThat(Files.readString(promotedInto.resolve("box/a"))).isEqualTo("v2");
  }

  @Test
  void forgettingAStandbyMakesTheNextPassFull() throws Exception {
    Files.writeString(layer.resolve("a"), "v1");
    PrimaryReplicas primary = primary();
    primary.replicate(request());
    assertThat(primary.drop("box", "host-b")).isTrue();
    assertThat(primary.replicate(request()).full()).isTrue();
  }

  /** The standby's receiving end, fed directly with what the primary packs. */
  private final class InJvmStandby implements StandbyPeer {
    @Override
    public ReceiveFilesResponse send(FileChunk.Header header, InputStream tar, LongConsumer onBytes) {
      FileReceiver.Sink sink = standby.receive(header, Optional.of("host-a"));
      try {
        byte[] data = tar.readAllBytes();
        onBytes.accept(data.length);
        sink.write(ByteString.copyFrom(data));
        sink.finish(data.length, "");
        ReceiveFilesResponse.Builder answer = ReceiveFilesResponse.newBuilder().setBytes(data.length);
        sink.describe(answer);
        return answer.build();
      } catch (IOException e) {
        sink.abort(e);
        throw new UncheckedIOException(e);
      } catch (RuntimeException e) {
        sink.abort(e);
        throw e;
      }
    }

    @Override
    public void close() {}
  }

  /** Holds every image; a promotion moves the tree under {@code promotedInto/<name>}. */
  private final class PromotingHost implements StandbyHost {
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
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
