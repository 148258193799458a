package io.ferry.migration.transfer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A tar of a flat directory of regular files (a CRIU image directory), written and read by the
 * agent itself instead of by GNU tar: inside a migration's frozen window the two {@code tar}
 * processes cost more than the few hundred KB of images they carried. The archive is plain ustar
 * (one header per file, its permission bits, size and mtime; owner root), so GNU tar reads it too;
 * the reader takes only what this writer makes (regular files named without a directory, and
 * {@code ./}) and refuses anything else.
 *
 * <p>Failure modes: {@link #pack} returns empty when the directory holds anything but regular files
 * (the caller uses GNU tar then); the reader throws {@link IOException} on a malformed or
 * unsupported entry, a name that is not a plain file name, or a truncated archive ({@link
 * Unpacking#finish}).
 */
public final class FlatArchive {

  private static final int BLOCK = 512;
  private static final int MAX_NAME = 100;

  private FlatArchive() {}

  /**
   * The archive of {@code dir}'s regular files, in name order, their contents read lazily (one file
   * open at a time); empty when {@code dir} holds anything else (a directory, a link, a device) or a name too
   * long for a plain ustar header.
   */
  public static Optional<InputStream> pack(Path dir) throws IOException {
    List<Path> files;
    try (Stream<Path> entries = Files.list(dir)) {
      files = entries.sorted().toList();
    }
    for (Path f : files) {
      if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)
          || f.getFileName().toString().getBytes(StandardCharsets.UTF_8).length >= MAX_NAME) {
        return Optional.empty();
      }
    }
    // Headers are made now (a file that cannot be read fails here); contents are read lazily.
    List<InputStream> parts = new ArrayList<>();
    for (Path file : files) {
      long size = Files.size(file);
      parts.add(new ByteArrayInputStream(header(file.getFileName().toString(), file, size)));
      parts.add(new LazyFileStream(file, size));
      parts.add(new ByteArrayInputStream(new byte[padding(size)]));
    }
    parts.add(new ByteArrayInputStream(new byte[2 * BLOCK]));
    return Optional.of(new SequenceInputStream(Collections.enumeration(parts)));
  }

  /** Starts unpacking into {@code root} (which must exist): write the archive into {@link Unpacker#input()}. */
  public static Unpacker unpack(Path root) {
    Unpacking unpacking = new Unpacking(root);
    return new Unpacker() {
      @Override
      public OutputStream input() {
        return unpacking;
      }

      @Override
      public void finish() {
        try {
          unpacking.finish();
        } catch (IOException e) {
          throw io.ferry.migration.protocol.MigrationException.internal(e.getMessage(), e);
        }
      }

      @Override
      public String problems() {
        return "";
      }

      @Override
      public void close() {
        try {
          unpacking.close();
        } catch (IOException e) {
          // a file left half written: the receiving side discards the directory
        }
      }
    };
  }

  private static byte[] header(String name, Path file, long size) throws IOException {
    byte[] h = new byte[BLOCK];
    put(h, 0, 100, name.getBytes(StandardCharsets.UTF_8));
    octal(h, 100, 8, mode(Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS)));
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, size);
    octal(h, 136, 12, Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toMillis() / 1000);
    h[156] = '0';
    put(h, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
    put(h, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
    java.util.Arrays.fill(h, 148, 156, (byte) ' ');
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    byte[] chk = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
    put(h, 148, 8, chk);
    return h;
  }

  private static void put(byte[] h, int at, int len, byte[] value) {
    System.arraycopy(value, 0, h, at, Math.min(len, value.length));
  }

  /** A NUL-terminated zero-padded octal field, as ustar wants. */
  private static void octal(byte[] h, int at, int len, long value) {
    String digits = Long.toOctalString(value);
    if (digits.length() > len - 1) {
      throw new IllegalArgumentException("value " + value + " too large for a " + len + "-byte tar field");
    }
    put(h, at, len, ("0".repeat(len - 1 - digits.length()) + digits + "\0").getBytes(StandardCharsets.US_ASCII));
  }

  private static int padding(long size) {
    return (int) ((BLOCK - size % BLOCK) % BLOCK);
  }

  private static int mode(Set<PosixFilePermission> perms) {
    int m = 0;
    for (PosixFilePermission p : perms) {
      m |= 1 << (8 - p.ordinal());
    }
    return m;
  }

  private static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
    for (PosixFilePermission p : PosixFilePermission.values()) {
      if ((mode & (1 << (8 - p.ordinal()))) != 0) {
        perms.add(p);
      }
    }
    return perms;
  }

  /** A file's bytes, opened when first read; exactly {@code size} bytes (a file that shrank fails). */
  private static final class LazyFileStream extends InputStream {
    private final Path file;
    private long left;
    private InputStream in;

    LazyFileStream(Path file, long size) {
      this.file = file;
      this.left = size;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left == 0) {
        close();
        return -1;
      }
      if (in == null) {
        in = Files.newInputStream(file);
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n < 0) {
        throw new IOException(file + " shrank while it was archived");
      }
      left -= n;
      return n;
    }

    @Override
    public void close() throws IOException {
      if (in != null) {
        in.close();
        in = null;
      }
    }
  }

  /**
   * An archive being read into a directory, pushed through {@link #write}: each file is created
   * (replacing one of the same name) with the archive's permission bits.
   */
  private static final class Unpacking extends OutputStream {
    private final Path root;
    private final byte[] header = new byte[BLOCK];
    private int headerFill;
    private OutputStream file;
    private long fileLeft;
    private int skip;
    private int zeroBlocks;
    private boolean ended;

    private Unpacking(Path root) {
      this.root = root;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        if (ended) {
          return; // GNU tar pads to its record size; whatever follows the end is ignored
        }
        int n;
        if (file != null) {
          n = (int) Math.min(len, fileLeft);
          file.write(b, off, n);
          fileLeft -= n;
          if (fileLeft == 0) {
            file.close();
            file = null;
          }
        } else if (skip > 0) {
          n = Math.min(len, skip);
          skip -= n;
        } else {
          n = Math.min(len, BLOCK - headerFill);
          System.arraycopy(b, off, header, headerFill, n);
          headerFill += n;
          if (headerFill == BLOCK) {
            headerFill = 0;
            entry();
          }
        }
        off += n;
        len -= n;
      }
    }

    /** Checks that the archive ended where it should, and closes what is open. */
    void finish() throws IOException {
      boolean complete = ended && file == null;
      close();
      if (!complete) {
        throw new IOException("the archive into " + root + " is truncated");
      }
    }

    @Override
    public void close() throws IOException {
      if (file != null) {
        file.close();
        file = null;
      }
    }

    private void entry() throws IOException {
      if (isZero(header)) {
        if (++zeroBlocks == 2) {
          ended = true;
        }
        return;
      }
      if (zeroBlocks > 0) {
        throw new IOException("a lone zero block in the archive into " + root);
      }
      long sum = 0;
      for (int i = 0; i < BLOCK; i++) {
        sum += (i >= 148 && i < 156) ? ' ' : header[i] & 0xff;
      }
      if (sum != parseOctal(148, 8)) {
        throw new IOException("a tar header with a wrong checksum in the archive into " + root);
      }
      String name = text(0, 100);
      char type = (char) header[156];
      if ((type == '5') && (name.equals("./") || name.equals("."))) {
        return;
      }
      if (type != '0' && type != '\0') {
        throw new IOException("unsupported tar entry '" + name + "' of type '" + type + "' in the archive into " + root);
      }
      if (name.startsWith("./")) {
        name = name.substring(2);
      }
      if (name.isEmpty() || name.contains("/") || name.equals("..") || name.equals(".") || !text(345, 155).isEmpty()) {
        throw new IOException("tar entry '" + name + "' is not a plain file name (archive into " + root + ")");
      }
      long size = parseOctal(124, 12);
      int mode = (int) parseOctal(100, 8) & 0777;
      Path target = root.resolve(name);
      Files.deleteIfExists(target);
      Files.createFile(target, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(permissions(0600)));
      Files.setPosixFilePermissions(target, permissions(mode));
      skip = padding(size);
      if (size > 0) {
        file = Files.newOutputStream(target, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        fileLeft = size;
      }
    }

    private static boolean isZero(byte[] block) {
      for (byte b : block) {
        if (b != 0) {
          return false;
        }
      }
      return true;
    }

    private String text(int at, int len) {
      int end = at;
      while (end < at + len && header[end] != 0) {
        end++;
      }
      return new String(header, at, end - at, StandardCharsets.UTF_8);
    }

    private long parseOctal(int at, int len) throws IOException {
      String s = text(at, len).strip();
      try {
        return s.isEmpty() ? 0 : Long.parseLong(s, 8);
      } catch (NumberFormatException e) {
        throw new IOException("a tar header with a bad number '" + s + "' in the archive into " + root);
      }
    }
  }

}
