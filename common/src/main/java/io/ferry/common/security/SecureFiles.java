package io.ferry.common.security;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Writing security files on POSIX file systems. Secret files get mode 0600 as an attribute of
 * their creation, so they are never readable by others, not even between create and chmod (the
 * umask can only remove bits). Replacements are atomic: a temporary file in the same directory,
 * flushed to disk, then renamed over the target, so a reader sees the old or the new content,
 * never a part.
 *
 * <p>Fails with {@link UnsupportedOperationException} on a file system without POSIX permissions:
 * Ferry refuses to keep keys where it cannot protect them.
 */
final class SecureFiles {

  static final Set<PosixFilePermission> OWNER_READ_WRITE = PosixFilePermissions.fromString("rw-------");
  static final Set<PosixFilePermission> WORLD_READABLE = PosixFilePermissions.fromString("rw-r--r--");
  static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY = PosixFilePermissions.fromString("rwx------");

  private SecureFiles() {}

  /** Creates {@code file} with mode 0600 and {@code text}; fails if it exists. */
  static void createPrivate(Path file, String text) throws IOException {
    create(file, text, OWNER_READ_WRITE);
  }

  /** Creates {@code file} with mode 0644 and {@code text}; fails if it exists. */
  static void createPublic(Path file, String text) throws IOException {
    create(file, text, WORLD_READABLE);
  }

  /** Creates {@code directory} (and missing parents) with mode 0700 when it does not exist. */
  static void createPrivateDirectory(Path directory) throws IOException {
    if (!Files.isDirectory(directory)) {
      Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIRECTORY));
    }
  }

  /**
   * Replaces {@code file} atomically with {@code text}; the new file has mode 0600 (its content
   * may name what is trusted or revoked, which is nobody else's business).
   */
  static void replacePrivate(Path file, String text) throws IOException {
    Path directory = file.toAbsolutePath().getParent();
    FileAttribute<Set<PosixFilePermission>> mode = PosixFilePermissions.asFileAttribute(OWNER_READ_WRITE);
    Path temporary = Files.createTempFile(directory, "." + file.getFileName() + ".", ".tmp", mode);
    try {
      writeAndSync(temporary, text, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
      try {
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("cannot replace " + file + " atomically on this file system", e);
      }
    } finally {
      Files.deleteIfExists(temporary);
    }
  }

  private static void create(Path file, String text, Set<PosixFilePermission> permissions) throws IOException {
    try (FileChannel channel =
        FileChannel.open(
            file,
            EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            PosixFilePermissions.asFileAttribute(permissions))) {
      write(channel, text);
    }
  }

  private static void writeAndSync(Path file, String text, StandardOpenOption... options) throws IOException {
    try (FileChannel channel = FileChannel.open(file, options)) {
      write(channel, text);
    }
  }

  private static void write(FileChannel channel, String text) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    while (bytes.hasRemaining()) {
      channel.write(bytes);
    }
    channel.force(true);
  }
}
