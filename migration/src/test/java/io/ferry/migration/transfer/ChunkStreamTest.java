package io.ferry.migration.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.migration.transfer.TransferException.Reason;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChunkStreamTest {

  private static final int CHUNK = 64 * 1024;

  @Test
  void splitsAndReassemblesByteForByte() throws Exception {
    byte[] data = random(3 * CHUNK + 123);
    ChunkSplitter splitter = new ChunkSplitter(new ByteArrayInputStream(data), CHUNK);
    List<Chunk> chunks = drain(splitter);

    assertThat(chunks).extracting(Chunk::length).containsExactly(CHUNK, CHUNK, CHUNK, 123);
    assertThat(chunks).extracting(Chunk::offset).containsExactly(0L, (long) CHUNK, 2L * CHUNK, 3L * CHUNK);
    StreamSummary summary = splitter.summary();
    assertThat(summary.size()).isEqualTo(data.length);
    assertThat(summary.checksum()).isEqualTo(sha256(data));

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ChunkAssembler assembler = new ChunkAssembler(out, data.length);
    chunks.forEach(assembler::accept);
    assertThat(assembler.finish(summary)).isEqualTo(sha256(data));
    assertThat(out.toByteArray()).isEqualTo(data);
  }

  @Test
  void aCrc32cSplitterSumsItsStreamWithCrc32c() throws Exception {
    byte[] data = random(2 * CHUNK + 9);
    ChunkSplitter splitter =
        new ChunkSplitter(new ByteArrayInputStream(data), CHUNK, io.ferry.proto.v1.FileChunk.Header.Checksum.CHECKSUM_CRC32C);
    drain(splitter);
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(data);
    assertThat(splitter.summary()).isEqualTo(new StreamSummary(data.length, String.format("%08x", crc.getValue())));
  }

  @Test
  void anEmptyStreamHasTheEmptyDigest() throws Exception {
    ChunkSplitter splitter = new ChunkSplitter(new ByteArrayInputStream(new byte[0]));
    assertThat(splitter.next()).isEmpty();
    assertThat(splitter.summary())
        .isEqualTo(new StreamSummary(0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  }

  @Test
  void summaryBeforeTheEndIsRefused() {
    ChunkSplitter splitter = new ChunkSplitter(new ByteArrayInputStream(random(10)));
    assertThatThrownBy(splitter::summary).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void refusesGapsOverlapsAndExcess() throws Exception {
    List<Chunk> chunks = drain(new ChunkSplitter(new ByteArrayInputStream(random(3 * CHUNK)), CHUNK));

    ChunkAssembler gap = new ChunkAssembler(new ByteArrayOutputStream(), Long.MAX_VALUE);
    gap.accept(chunks.get(0));
    assertThatThrownBy(() -> gap.accept(chunks.get(2)))
        .isInstanceOfSatisfying(TransferException.class, e -> assertThat(e.reason()).isEqualTo(Reason.OUT_OF_ORDER));

    ChunkAssembler replay = new ChunkAssembler(new ByteArrayOutputStream(), Long.MAX_VALUE);
    replay.accept(chunks.get(0));
    assertThatThrownBy(() -> replay.accept(chunks.get(0)))
        .isInstanceOfSatisfying(TransferException.class, e -> assertThat(e.reason()).isEqualTo(Reason.OUT_OF_ORDER));

    ChunkAssembler limited = new ChunkAssembler(new ByteArrayOutputStream(), 2L * CHUNK);
    limited.accept(chunks.get(0));
    limited.accept(chunks.get(1));
    assertThatThrownBy(() -> limited.accept(chunks.get(2)))
        .isInstanceOfSatisfying(TransferException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE));
  }

  @Test
  void detectsACorruptedOrTruncatedStream() throws Exception {
    byte[] data = random(2 * CHUNK);
    ChunkSplitter splitter = new ChunkSplitter(new ByteArrayInputStream(data), CHUNK);
    List<Chunk> chunks = drain(splitter);
    StreamSummary summary = splitter.summary();

    ChunkAssembler corrupt = new ChunkAssembler(new ByteArrayOutputStream(), Long.MAX_VALUE);
    byte[] flipped = chunks.get(1).data().clone();
    flipped[17] ^= 1;
    corrupt.accept(chunks.get(0));
    corrupt.accept(new Chunk(chunks.get(1).offset(), flipped));
    assertThatThrownBy(() -> corrupt.finish(summary))
        .isInstanceOfSatisfying(TransferException.class, e -> assertThat(e.reason()).isEqualTo(Reason.DIGEST_MISMATCH));

    ChunkAssembler truncated = new ChunkAssembler(new ByteArrayOutputStream(), Long.MAX_VALUE);
    truncated.accept(chunks.get(0));
    assertThatThrownBy(() -> truncated.finish(summary))
        .isInstanceOfSatisfying(TransferException.class, e -> assertThat(e.reason()).isEqualTo(Reason.SIZE_MISMATCH));
  }

  private static List<Chunk> drain(ChunkSplitter splitter) throws Exception {
    List<Chunk> chunks = new ArrayList<>();
    for (Optional<Chunk> c = splitter.next(); c.isPresent(); c = splitter.next()) {
      chunks.add(c.get());
    }
    return chunks;
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    new Random(42).nextBytes(b);
    return b;
  }

  private static String sha256(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }
}
