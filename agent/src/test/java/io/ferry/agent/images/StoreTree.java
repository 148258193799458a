package io.ferry.agent.images;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** What a directory tree holds, as sorted lines "relative/path type size", for before/after checks. */
final class StoreTree {

  private StoreTree() {}

  static List<String> of(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      return paths
          .filter(p -> !p.equals(root))
          .map(p -> root.relativize(p) + " " + describe(p))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The entries directly in {@code dir}, sorted. */
  static List<String> children(Path dir) {
    try (Stream<Path> paths = Files.list(dir)) {
      return paths.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String describe(Path p) {
    try {
      if (Files.isSymbolicLink(p)) {
        return "link " + Files.readSymbolicLink(p);
      }
      if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        return "dir";
      }
      return "file " + Files.size(p) + " " + Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
