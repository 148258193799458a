package io.ferry.migration.transfer;

import io.ferry.proto.v1.FileChunk;
import io.ferry.proto.v1.ReceiveFilesResponse;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.zip.CRC32C;

/**
 * The checksum sender and receiver compute over all of a stream's data and compare at its end,
 * of the kind its header names ({@link FileChunk.Header.Checksum}): SHA-256, or CRC32C where the
 * receiver said it checks it. Both guard against a stream cut short or mangled by a bug on either
 * end; the agents' channel is TLS, which already guards against anyone else. CRC32C costs well under
 * a millisecond per MiB in any JIT, SHA-256 tens of ms in a JVM that compiles with C1 only.
 *
 * <p>Not thread-safe; one per stream.
 */
public final class StreamChecksum {

  private final FileChunk.Header.Checksum kind;
  private final MessageDigest sha256;
  private final CRC32C crc32c;

  private StreamChecksum(FileChunk.Header.Checksum kind) {
    this.kind = kind;
    this.sha256 = kind == FileChunk.Header.Checksum.CHECKSUM_CRC32C ? null : Digests.sha256();
    this.crc32c = kind == FileChunk.Header.Checksum.CHECKSUM_CRC32C ? new CRC32C() : null;
  }

  /** A checksum of {@code kind}; an unknown kind (a newer sender's) counts as SHA-256. */
  public static StreamChecksum of(FileChunk.Header.Checksum kind) {
    return new StreamChecksum(kind == FileChunk.Header.Checksum.CHECKSUM_CRC32C
        ? kind : FileChunk.Header.Checksum.CHECKSUM_SHA256);
  }

  public FileChunk.Header.Checksum kind() {
    return kind;
  }

  public void update(byte[] data) {
    if (crc32c != null) {
      crc32c.update(data);
    } else {
      sha256.update(data);
    }
  }

  public void update(ByteBuffer data) {
    if (crc32c != null) {
      crc32c.update(data);
    } else {
      sha256.update(data);
    }
  }

  /** The value, lower-case hex (8 digits for CRC32C). Ends the computation. */
  public String hex() {
    if (crc32c != null) {
      return String.format("%08x", crc32c.getValue());
    }
    return HexFormat.of().formatHex(sha256.digest());
  }

  /** The name people read in errors: "SHA-256" or "CRC32C". */
  public String displayName() {
    return crc32c != null ? "CRC32C" : "SHA-256";
  }

  /** The trailer's value of this kind. */
  public String valueIn(FileChunk.Trailer trailer) {
    return crc32c != null ? trailer.getCrc32C() : trailer.getSha256();
  }

  /** Sets the trailer's value of this kind. */
  public FileChunk.Trailer.Builder setIn(FileChunk.Trailer.Builder trailer, String value) {
    return crc32c != null ? trailer.setCrc32C(value) : trailer.setSha256(value);
  }

  /** The receiver's answer's value of this kind. */
  public String valueIn(ReceiveFilesResponse response) {
    return crc32c != null ? response.getCrc32C() : response.getSha256();
  }

  /** Sets the answer's value of this kind. */
  public ReceiveFilesResponse.Builder setIn(ReceiveFilesResponse.Builder response, String value) {
    return crc32c != null ? response.setCrc32C(value) : response.setSha256(value);
  }
}
