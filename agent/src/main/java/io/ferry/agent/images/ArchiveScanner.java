package io.ferry.agent.images;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import io.ferry.agent.images.ArchiveValidator.Validated;
import io.ferry.agent.images.DigestingInputStream.SourceFailure;
import io.ferry.common.ByteSize;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Reads an uploaded archive once, as a stream, and turns it into a <em>canonical</em> plain tar of
 * exactly the entries that passed {@link ArchiveValidator}, while hashing the upload.
 *
 * <p>GNU tar then unpacks the canonical tar, never the upload: whatever GNU tar and commons-compress
 * might disagree on (concatenated gzip members, data after the end-of-archive blocks, pax, GNU and
 * ustar header quirks) cannot smuggle an entry past validation, because GNU tar only ever sees
 * entries this class wrote, with normalised names.
 *
 * <p>The compressed stream is read to its very end, so a gzip or zstd checksum must hold and
 * nothing may follow the compressed data; a plain tar may have any bytes after its end-of-archive
 * blocks (they count in the digest, and are never unpacked).
 *
 * <p>What is not carried over: user and group names (owners are numeric), extended attributes
 * and ACLs (counted in {@link Scanned#droppedAttributes()}; file capabilities are lost). Names
 * that are not valid UTF-8 in ustar or GNU headers are decoded by commons-compress with {@code ?}
 * for each invalid byte, so such a file is unpacked under that changed name.
 *
 * <p>Failures: INVALID_ARGUMENT "corrupt archive: ..." for anything the decompressor or the tar
 * parser rejects (truncation, bad checksums, garbage), INVALID_ARGUMENT or RESOURCE_EXHAUSTED from
 * the validator and the limits, INTERNAL when the canonical tar cannot be written, and whatever
 * the caller's stream threw when it failed. Stateless: one instance serves concurrent imports.
 */
final class ArchiveScanner {

  /**
   * @param digest SHA-256 of the upload, hex
   * @param archiveBytes size of the upload
   * @param unpackedBytes sum of the regular files' sizes
   * @param entries entries of every type
   * @param droppedAttributes extended attributes and ACLs left out of the canonical tar
   */
  record Scanned(
      String digest, long archiveBytes, long unpackedBytes, long entries, ArchiveFormat format, int droppedAttributes) {}

  /** An upload that was only hashed. */
  record Hashed(String digest, long archiveBytes) {}

  private static final int COPY_BUFFER = 256 * 1024;

  /** The tar parser reads 512-byte records: never let each be a call into the decompressor. */
  private static final int DECOMPRESSED_BUFFER = 256 * 1024;

  private final ImageLimits limits;

  ArchiveScanner(ImageLimits limits) {
    this.limits = limits;
  }

  /**
   * Streams {@code source} to its end and writes the canonical tar to {@code canonicalTar}, which must not exist. On failure the
   * source may be left partly read and {@code canonicalTar} partly written: the caller deletes it.
   * The source is never closed.
   */
  Scanned scan(InputStream source, Path canonicalTar) {
    DigestingInputStream raw = new DigestingInputStream(source, limits.maxArchive());
    try {
      BufferedInputStream buffered = new BufferedInputStream(raw, 64 * 1024);
      ArchiveFormat format = ArchiveFormat.detect(buffered);
      Scanned result;
      try (InputStream plain = new UnpackedLimitStream(
              new BufferedInputStream(parse(() -> format.decompress(buffered), ""), DECOMPRESSED_BUFFER), limits.maxUnpacked());
          GuardedTarInputStream tar = new GuardedTarInputStream(plain);
          TarArchiveOutputStream out = canonicalWriter(canonicalTar)) {
        result = copyEntries(tar, out, format);
        out.finish();
        // To the end of the compressed stream: checks the gzip CRC / zstd checksum, refuses data
        // after the compressed stream; for a plain tar, bytes after the end blocks are ignored.
        parse(() -> plain.transferTo(OutputStream.nullOutputStream()), " (after the end of the tar archive)");
      }
      raw.drain();
      return new Scanned(raw.digest(), raw.count(), result.unpackedBytes(), result.entries(), format, result.droppedAttributes());
    } catch (SourceFailure e) {
      throw e.unwrap();
    } catch (IOException e) {
      // Only the canonical tar's file can fail this way: reads are mapped by parse().
      throw sinkFailure(canonicalTar, e);
    }
  }

  /** Reads {@code source} to its end only to hash it (a re-import of an image already here). */
  Hashed hash(InputStream source) {
    DigestingInputStream raw = new DigestingInputStream(source, limits.maxArchive());
    try {
      raw.drain();
    } catch (SourceFailure e) {
      throw e.unwrap();
    }
    return new Hashed(raw.digest(), raw.count());
  }

  private Scanned copyEntries(GuardedTarInputStream tar, TarArchiveOutputStream out, ArchiveFormat format) throws IOException {
    ArchiveValidator validator = new ArchiveValidator(limits);
    byte[] buffer = new byte[COPY_BUFFER];
    long unpacked = 0;
    int dropped = 0;
    TarArchiveEntry entry;
    String where = " (at the first entry)";
    while ((entry = parse(tar::getNextEntry, where)) != null) {
      Validated valid = validator.check(entry);
      where = " (after entry " + EntryPaths.quote(entry.getName()) + ")";
      dropped += droppedAttributes(entry);
      out.putArchiveEntry(canonicalEntry(valid));
      if (valid.type() == ArchiveValidator.Type.FILE) {
        copyContent(tar, out, valid, buffer);
        unpacked += valid.size();
      }
      out.closeArchiveEntry();
    }
    if (validator.entries() == 0) {
      throw AgentException.invalid("empty archive: it has no entries");
    }
    return new Scanned(null, 0, unpacked, validator.entries(), format, dropped);
  }

  private static void copyContent(GuardedTarInputStream tar, OutputStream out, Validated valid, byte[] buffer) throws IOException {
    long left = valid.size();
    while (left > 0) {
      int want = (int) Math.min(buffer.length, left);
      int n = parse(() -> tar.read(buffer, 0, want), " (in entry " + EntryPaths.quote(valid.path()) + ")");
      if (n < 0) {
        throw AgentException.invalid(
            "corrupt archive: entry " + EntryPaths.quote(valid.path()) + " ends " + left + " bytes before its declared size");
      }
      out.write(buffer, 0, n);
      left -= n;
    }
  }

  private static TarArchiveEntry canonicalEntry(Validated valid) {
    String name;
    byte flag;
    switch (valid.type()) {
      case DIRECTORY:
        name = valid.path().isEmpty() ? "./" : valid.path() + "/";
        flag = TarConstants.LF_DIR;
        break;
      case SYMLINK:
        name = valid.path();
        flag = TarConstants.LF_SYMLINK;
        break;
      case HARDLINK:
        name = valid.path();
        flag = TarConstants.LF_LINK;
        break;
      case FIFO:
        name = valid.path();
        flag = TarConstants.LF_FIFO;
        break;
      default:
        name = valid.path();
        flag = TarConstants.LF_NORMAL;
        break;
    }
    TarArchiveEntry entry = new TarArchiveEntry(name, flag, true);
    entry.setMode(valid.mode());
    entry.setUserId(valid.uid());
    entry.setGroupId(valid.gid());
    entry.setUserName("");
    entry.setGroupName("");
    if (valid.mtime() != null) {
      entry.setLastModifiedTime(valid.mtime());
    }
    if (valid.link() != null) {
      entry.setLinkName(valid.link());
    }
    entry.setSize(valid.size());
    return entry;
  }

  private static int droppedAttributes(TarArchiveEntry entry) {
    int dropped = 0;
    for (String key : entry.getExtraPaxHeaders().keySet()) {
      if (key.startsWith("SCHILY.xattr.") || key.startsWith("LIBARCHIVE.xattr.") || key.startsWith("SCHILY.acl.")) {
        dropped++;
      }
    }
    return dropped;
  }

  private static TarArchiveOutputStream canonicalWriter(Path file) throws IOException {
    OutputStream sink = new BufferedOutputStream(
        Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), 1 << 20);
    TarArchiveOutputStream out = new TarArchiveOutputStream(sink, StandardCharsets.UTF_8.name());
    out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    out.setAddPaxHeadersForNonAsciiNames(true);
    return out;
  }

  private static AgentException sinkFailure(Path file, IOException e) {
    String message = String.valueOf(e.getMessage());
    Kind kind = message.contains("No space left on device") ? Kind.RESOURCE_EXHAUSTED : Kind.INTERNAL;
    return new AgentException(kind, "cannot write the unpacked archive to " + file + ": " + message, e);
  }

  /** A read of the archive: the decompressor or tar parser failing is a corrupt archive. */
  private interface ArchiveRead<T> {
    T read() throws IOException;
  }

  /** Runs {@code read}; a failure is a corrupt archive, located by {@code where}. */
  private static <T> T parse(ArchiveRead<T> read, String where) {
    try {
      return read.read();
    } catch (AgentException | SourceFailure e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new AgentException(Kind.INVALID_ARGUMENT, "corrupt archive" + where + ": " + describe(e), e);
    }
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    if (message == null || message.isBlank()) {
      return e instanceof EOFException ? "unexpected end of data (truncated upload?)" : e.getClass().getSimpleName();
    }
    return message;
  }

  /** The decompressed tar stream, which may not grow past the unpacked-size limit. */
  private static final class UnpackedLimitStream extends FilterInputStream {
    private final long limit;
    private long count;

    UnpackedLimitStream(InputStream in, ByteSize limit) {
      super(in);
      this.limit = limit.bytes();
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        counted(1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        counted(n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = in.skip(n);
      if (skipped > 0) {
        counted(skipped);
      }
      return skipped;
    }

    private void counted(long n) {
      count += n;
      if (count > limit) {
        throw new AgentException(
            Kind.RESOURCE_EXHAUSTED, "archive unpacks to more than the limit of " + ByteSize.ofBytes(limit));
      }
    }
  }
}
