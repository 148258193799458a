package io.ferry.agent.images;

import com.github.luben.zstd.ZstdInputStream;
import io.ferry.agent.AgentException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * The compressions an image archive may come in, told apart by their magic bytes: gzip ({@code 1f
 * 8b}), zstd ({@code 28 b5 2f fd}); anything else is read as a plain tar (and fails as a corrupt
 * one if it is not). xz and bzip2 are recognised only to refuse them by name.
 */
enum ArchiveFormat {
  TAR,
  GZIP,
  ZSTD;

  /** Bytes {@link #detect} needs; the stream must support {@code mark} for that many. */
  static final int MAGIC_BYTES = 6;

  private static final byte[] GZIP_MAGIC = {0x1f, (byte) 0x8b};
  private static final byte[] ZSTD_MAGIC = {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd};
  private static final byte[] XZ_MAGIC = {(byte) 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00};
  private static final byte[] BZIP2_MAGIC = {0x42, 0x5a, 0x68};

  /**
   * Looks at the first bytes of {@code in} without consuming them.
   *
   * @throws AgentException INVALID_ARGUMENT for xz or bzip2, which Ferry does not take
   * @throws IOException when reading fails
   */
  static ArchiveFormat detect(BufferedInputStream in) throws IOException {
    in.mark(MAGIC_BYTES);
    byte[] head = in.readNBytes(MAGIC_BYTES);
    in.reset();
    if (startsWith(head, GZIP_MAGIC)) {
      return GZIP;
    }
    if (startsWith(head, ZSTD_MAGIC)) {
      return ZSTD;
    }
    if (startsWith(head, XZ_MAGIC) || startsWith(head, BZIP2_MAGIC)) {
      throw AgentException.invalid(
          "unsupported archive compression (" + (head[0] == BZIP2_MAGIC[0] ? "bzip2" : "xz")
              + "): send a tar archive, plain, gzip or zstd");
    }
    return TAR;
  }

  /**
   * The decompressed tar stream over {@code in}. Gzip members are read back to back, as gzip(1)
   * does; zstd keeps libzstd's default window limit (128 MiB), which refuses frames that would need
   * more memory.
   */
  InputStream decompress(InputStream in) throws IOException {
    switch (this) {
      case GZIP:
        return GzipCompressorInputStream.builder().setInputStream(in).setDecompressConcatenated(true).get();
      case ZSTD:
        return new ZstdInputStream(in);
      default:
        return in;
    }
  }

  private static boolean startsWith(byte[] head, byte[] magic) {
    return head.length >= magic.length && Arrays.equals(head, 0, magic.length, magic, 0, magic.length);
  }
}
