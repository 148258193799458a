package io.ferry.migration.transfer;

import io.ferry.migration.transfer.TransferException.Reason;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Receives the chunks of one stream, in order, into an output stream, refusing a gap, an overlap
 * or more than {@code maxBytes}, and finally checks size and SHA-256 against the sender's {@link
 * StreamSummary}.
 *
 * <p>Contract for callers: write into a temporary place and only publish it after {@link
 * #finish(StreamSummary)} returns. Any {@link TransferException} means the bytes already written
 * must be thrown away. Not thread-safe; gRPC delivers a stream's messages serially.
 */
public final class ChunkAssembler {

  private final OutputStream out;
  private final long maxBytes;
  private final MessageDigest digest = Digests.sha256();
  private long received;

  /** @param maxBytes the most this stream may carry; more is refused as {@link Reason#TOO_LARGE} */
  public ChunkAssembler(OutputStream out, long maxBytes) {
    this.out = out;
    this.maxBytes = maxBytes;
  }

  public void accept(Chunk chunk) {
    if (chunk.offset() != received) {
      throw new TransferException(
          Reason.OUT_OF_ORDER, "chunk at offset " + chunk.offset() + " but " + received + " bytes received so far");
    }
    if (received + chunk.length() > maxBytes) {
      throw new TransferException(
          Reason.TOO_LARGE, "stream exceeds its limit of " + maxBytes + " bytes");
    }
    try {
      out.write(chunk.data());
    } catch (IOException e) {
      throw new TransferException(Reason.IO, "cannot store received bytes: " + e.getMessage(), e);
    }
    digest.update(chunk.data());
    received += chunk.length();
  }

  public long received() {
    return received;
  }

  /**
   * Checks what arrived against the sender's summary and flushes the output.
   *
   * @return the SHA-256 of the received bytes (equal to the summary's)
   * @throws TransferException on a size or digest mismatch
   */
  public String finish(StreamSummary expected) {
    if (expected.size() != received) {
      throw new TransferException(
          Reason.SIZE_MISMATCH, "sender sent " + expected.size() + " bytes, " + received + " arrived");
    }
    String actual = HexFormat.of().formatHex(digest.digest());
    if (!actual.equalsIgnoreCase(expected.checksum())) {
      throw new TransferException(
          Reason.DIGEST_MISMATCH, "SHA-256 " + actual + " differs from the sender's " + expected.checksum());
    }
    try {
      out.flush();
    } catch (IOException e) {
      throw new TransferException(Reason.IO, "cannot flush received bytes: " + e.getMessage(), e);
    }
    return actual;
  }
}
