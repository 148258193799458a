package io.ferry.migration.transfer;

import io.ferry.proto.v1.FileChunk;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Cuts an input stream into {@link Chunk}s for sending and computes the {@link StreamSummary} the
 * receiver checks them against. Pull-based so the sender can honour gRPC flow control: call
 * {@link #next()} only when the transport is ready for another message.
 *
 * <p>Not thread-safe; one splitter per stream. The caller owns and closes the input stream.
 */
public final class ChunkSplitter {

  /** 1 MiB: the measured best chunk size for gRPC bulk streams here. */
  public static final int DEFAULT_CHUNK_SIZE = 1 << 20;

  private final InputStream in;
  private final int chunkSize;
  private final StreamChecksum checksum;
  private long offset;
  private boolean finished;

  /** Chunks of {@code chunkSize}, summed by a checksum of {@code kind}. */
  public ChunkSplitter(InputStream in, int chunkSize, FileChunk.Header.Checksum kind) {
    if (chunkSize <= 0) {
      throw new IllegalArgumentException("chunk size must be positive: " + chunkSize);
    }
    this.in = in;
    this.chunkSize = chunkSize;
    this.checksum = StreamChecksum.of(kind);
  }

  /** Chunks of {@code chunkSize}, summed by SHA-256. */
  public ChunkSplitter(InputStream in, int chunkSize) {
    this(in, chunkSize, FileChunk.Header.Checksum.CHECKSUM_SHA256);
  }

  public ChunkSplitter(InputStream in) {
    this(in, DEFAULT_CHUNK_SIZE);
  }

  public ChunkSplitter(InputStream in, FileChunk.Header.Checksum kind) {
    this(in, DEFAULT_CHUNK_SIZE, kind);
  }

  /** The next chunk, full-sized except the last; empty once the input is exhausted. */
  public Optional<Chunk> next() throws IOException {
    if (finished) {
      return Optional.empty();
    }
    byte[] data = in.readNBytes(chunkSize);
    if (data.length == 0) {
      finished = true;
      return Optional.empty();
    }
    Chunk chunk = new Chunk(offset, data);
    checksum.update(data);
    offset += data.length;
    return Optional.of(chunk);
  }

  /**
   * The size and checksum of everything read.
   *
   * @throws IllegalStateException before {@link #next()} has returned empty
   */
  public StreamSummary summary() {
    if (!finished) {
      throw new IllegalStateException("the stream has not been read to its end");
    }
    return new StreamSummary(offset, checksum.hex());
  }
}
