package io.ferry.agent.images;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import io.ferry.common.ByteSize;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The caller's upload as the store reads it: every byte is counted and hashed (SHA-256) exactly
 * once, in order, including bytes skipped by readers above, and the upload may not pass {@code
 * limit} bytes.
 *
 * <p>Failures of the caller's stream are not I/O errors of the archive: an {@link IOException} or
 * unexpected runtime exception from the source comes out as a {@link SourceFailure}, so that the
 * decompressor and tar parser above cannot mistake a broken upload for a corrupt archive. {@link
 * #close()} leaves the source open: the caller owns it. Not thread-safe.
 */
final class DigestingInputStream extends InputStream {

  /** The caller's stream failed; {@link #getCause()} is what it threw. */
  static final class SourceFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SourceFailure(Throwable cause) {
      super(cause.getMessage(), cause);
    }

    /** What the store throws for it: the source's own runtime exception, or INTERNAL for I/O. */
    RuntimeException unwrap() {
      if (getCause() instanceof RuntimeException runtime) {
        return runtime;
      }
      return AgentException.internal("cannot read the uploaded archive: " + getCause().getMessage(), getCause());
    }
  }

  private final InputStream source;
  private final long limit;
  private final MessageDigest sha256;
  private long count;

  DigestingInputStream(InputStream source, ByteSize limit) {
    this.source = source;
    this.limit = limit.bytes();
    try {
      this.sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }

  @Override
  public int read() {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) {
    int n;
    try {
      n = source.read(buffer, offset, length);
    } catch (AgentException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new SourceFailure(e);
    }
    if (n > 0) {
      count += n;
      if (count > limit) {
        throw new AgentException(
            Kind.RESOURCE_EXHAUSTED, "archive is larger than the limit of " + ByteSize.ofBytes(limit) + " for uploads");
      }
      sha256.update(buffer, offset, n);
    }
    return n;
  }

  /** Reads (and so hashes) what is skipped: no byte of the upload escapes the digest. */
  @Override
  public long skip(long n) {
    byte[] scratch = new byte[(int) Math.min(Math.max(n, 0), 64 * 1024)];
    long skipped = 0;
    while (skipped < n) {
      int read = read(scratch, 0, (int) Math.min(scratch.length, n - skipped));
      if (read < 0) {
        break;
      }
      skipped += read;
    }
    return skipped;
  }

  /** Reads the rest of the upload, hashing it: the digest covers all of it, trailing bytes too. */
  void drain() {
    byte[] scratch = new byte[256 * 1024];
    while (read(scratch, 0, scratch.length) >= 0) {
      // counted and hashed by read
    }
  }

  long count() {
    return count;
  }

  /** The SHA-256 of everything read so far, in lower-case hex; call once, at the end. */
  String digest() {
    return HexFormat.of().formatHex(sha256.digest());
  }

  /** Leaves the caller's stream open. */
  @Override
  public void close() {}
}
