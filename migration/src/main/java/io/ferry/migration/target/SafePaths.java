package io.ferry.migration.target;

import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationException.Kind;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Removing received paths without ever leaving the tree: a path from the peer is refused when it
 * is absolute or has {@code .}/{@code ..} components, and nothing is removed through a symlink.
 */
public final class SafePaths {

  private SafePaths() {}

  /**
   * Removes {@code relative} (a file, a symlink, or a directory with its contents) under {@code
   * root}. Absent is fine; so is a path that goes through a symlink or a non-directory (there is
   * nothing under it in this tree).
   *
   * @throws MigrationException INVALID_ARGUMENT for a path that could leave the tree
   */
  public static void removeUnder(Path root, String relative) throws IOException {
    if (relative.isEmpty() || relative.startsWith("/") || relative.indexOf('\0') >= 0) {
      throw new MigrationException(Kind.INVALID_ARGUMENT, "refusing to remove '" + relative + "'");
    }
    Path current = root;
    String[] parts = relative.split("/");
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i];
      if (part.isEmpty() || part.equals(".") || part.equals("..")) {
        throw new MigrationException(Kind.INVALID_ARGUMENT, "refusing to remove '" + relative + "'");
      }
      current = current.resolve(part);
      boolean last = i == parts.length - 1;
      if (!last && (!Files.isDirectory(current, LinkOption.NOFOLLOW_LINKS))) {
        return;
      }
    }
    if (Files.isDirectory(current, LinkOption.NOFOLLOW_LINKS)) {
      removeTree(current);
    } else {
      Files.deleteIfExists(current);
    }
  }

  /** Deletes a tree without following symlinks; absent is fine. */
  public static void removeTree(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
        if (exc != null) {
          throw exc;
        }
        Files.delete(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
