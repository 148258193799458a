package io.ferry.agent.images;

import io.ferry.common.process.Command;
import io.ferry.common.process.CommandException;
import io.ferry.common.process.CommandResult;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Whole-tree file operations for the store's own directories; never follow symlinks. */
final class FileTrees {

  private static final Logger log = LoggerFactory.getLogger(FileTrees.class);

  private FileTrees() {}

  /**
   * Deletes {@code path} and everything under it without following symlinks (a link is removed,
   * never its target). Directories without owner write permission (an image's {@code /proc} is
   * 0555) are opened up first, so this also works when the agent is not root. Absent is fine.
   *
   * @throws IOException when something cannot be deleted
   */
  static void delete(Path path) throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(path, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
        if (!perms.containsAll(OWNER_RWX)) {
          perms = EnumSet.copyOf(perms);
          perms.addAll(OWNER_RWX);
          Files.setPosixFilePermissions(dir, perms);
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        deleteIfPresent(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        if (e instanceof NoSuchFileException) {
          return FileVisitResult.CONTINUE;
        }
        throw e;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
        if (e != null) {
          throw e;
        }
        deleteIfPresent(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  /** {@link #delete}, logging instead of throwing: for cleanup after another failure. */
  static void deleteQuietly(Path path) {
    try {
      delete(path);
    } catch (IOException e) {
      log.warn("cannot delete path={}: {}", path, e.toString());
    }
  }

  /**
   * Flushes the file system holding {@code path} ({@code sync --file-system}), so that what was
   * written there survives a host crash before it is published by a rename. A failure is logged,
   * not thrown: it costs durability, not correctness.
   */
  static void syncFileSystem(Path path, Duration timeout) {
    try {
      CommandResult result = Command.of("sync", "--file-system", path.toString()).timeout(timeout).run();
      if (!result.succeeded()) {
        log.warn("sync of path={} failed: {}", path, result.output());
      }
    } catch (CommandException e) {
      log.warn("sync of path={} failed: {}", path, e.getMessage());
    }
  }

  private static final Set<PosixFilePermission> OWNER_RWX =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);

  private static void deleteIfPresent(Path path) throws IOException {
    Files.deleteIfExists(path);
  }
}
