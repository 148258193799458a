package io.ferry.agent.images;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Where the image store keeps things under its root:
 *
 * <pre>
 * root/
 *   .lock                  held (flock) by the one store using this root
 *   .tmp/                  work in progress; emptied when a store opens the root
 *   aliases.json           alias -&gt; digest
 *   &lt;sha256&gt;/image.json   the image's metadata
 *   &lt;sha256&gt;/rootfs/      its unpacked tree
 * </pre>
 *
 * <p>Everything is created in {@code .tmp} and renamed into place, so a path outside {@code .tmp}
 * either is complete or does not exist; {@code .tmp} and the root are on one file system.
 */
record StoreLayout(Path root) {

  private static final Pattern DIGEST = Pattern.compile("[0-9a-f]{64}");

  static boolean isDigest(String name) {
    return DIGEST.matcher(name).matches();
  }

  Path tmp() {
    return root.resolve(".tmp");
  }

  Path lockFile() {
    return root.resolve(".lock");
  }

  Path aliasesFile() {
    return root.resolve("aliases.json");
  }

  Path imageDir(String digest) {
    return root.resolve(digest);
  }

  Path rootfs(String digest) {
    return imageDir(digest).resolve("rootfs");
  }

  Path metadataFile(String digest) {
    return imageDir(digest).resolve("image.json");
  }

  /**
   * Creates the root and takes the exclusive lock on {@code .lock}, held until the returned
   * channel is closed (also when the process dies).
   *
   * @throws AgentException FAILED_PRECONDITION when another store, in this process or another,
   *     holds it; INTERNAL when the root cannot be created
   */
  FileChannel lock() {
    try {
      Files.createDirectories(root);
      FileChannel channel = FileChannel.open(lockFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        channel.close();
        throw AgentException.precondition("image store " + root + " is in use by another store (" + lockFile() + " is locked)");
      }
      return channel;
    } catch (IOException e) {
      throw AgentException.internal("cannot lock the image store at " + root + ": " + e.getMessage(), e);
    }
  }

  /** Creates the root and an empty {@code .tmp} (only the owner may enter it), emptying it first. */
  void prepare() throws IOException {
    Files.createDirectories(root);
    if (Files.exists(tmp())) {
      FileTrees.delete(tmp());
    }
    Files.createDirectory(tmp(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
  }

  /** A new, private directory in {@code .tmp}: {@code prefix} then a random part. */
  Path newWorkDir(String prefix) {
    Path dir = tmp().resolve(prefix + UUID.randomUUID());
    try {
      return Files.createDirectory(dir);
    } catch (IOException e) {
      throw writeFailure(dir, e);
    }
  }

  /**
   * Replaces {@code target} with {@code bytes} so that a reader (or a crash) sees the old content
   * or the new, never a mix: a temporary file in {@code .tmp}, flushed, renamed over the target,
   * then the directory flushed.
   */
  void writeAtomically(Path target, byte[] bytes) throws IOException {
    Path temp = tmp().resolve(target.getFileName() + "." + UUID.randomUUID());
    try {
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        channel.force(true);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      syncDirectory(target.getParent());
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Flushes a directory's entries (a rename into it) to disk. */
  static void syncDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  /** INTERNAL, or RESOURCE_EXHAUSTED when the disk is full, naming the path. */
  static AgentException writeFailure(Path path, IOException e) {
    String message = String.valueOf(e.getMessage());
    Kind kind = message.contains("No space left on device") ? Kind.RESOURCE_EXHAUSTED : Kind.INTERNAL;
    return new AgentException(kind, "cannot write " + path + ": " + e, e);
  }
}
