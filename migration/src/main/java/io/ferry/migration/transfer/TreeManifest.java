package io.ferry.migration.transfer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a directory tree held at one moment: every entry's type and the metadata that changes when
 * it is written (size, modification and change times, mode, owner, inode). Comparing two
 * manifests of a container's writable layer ({@link DeltaPlan}) gives what a later pass must send.
 *
 * <p>Change time catches what modification time misses (chmod, chown, xattrs such as overlayfs's
 * opaque marker, a rename into place); the inode catches a file replaced by another. Symlinks are
 * not followed; the scan never leaves the tree's file system.
 *
 * <p>Take the manifest before sending the files it describes: anything written after its entry
 * was read has a newer change time at the next pass and is sent again.
 *
 * @param entries by path relative to the root, {@code /}-separated, sorted
 */
public record TreeManifest(Map<String, Entry> entries) {

  /** Kinds of entries in a writable layer (whiteouts are character devices). */
  public enum Type {
    FILE,
    DIRECTORY,
    SYMLINK,
    OTHER
  }

  /** One entry's metadata; times in nanoseconds since the epoch. */
  public record Entry(Type type, long size, long modifiedNanos, long changedNanos, int mode, int uid, int gid, long inode) {}

  public TreeManifest {
    entries = Collections.unmodifiableMap(new TreeMap<>(entries));
  }

  public static TreeManifest empty() {
    return new TreeManifest(Map.of());
  }

  /**
   * Scans {@code root}. Entries that vanish while it runs are skipped (they count as deleted).
   *
   * @throws UncheckedIOException when the root cannot be read
   */
  public static TreeManifest scan(Path root) {
    TreeMap<String, Entry> found = new TreeMap<>();
    try {
      Object rootDevice = Files.getAttribute(root, "unix:dev", LinkOption.NOFOLLOW_LINKS);
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
              if (!dir.equals(root)) {
                Entry e = entry(dir);
                if (e == null) {
                  return FileVisitResult.SKIP_SUBTREE;
                }
                found.put(relative(root, dir), e);
                if (!rootDevice.equals(Files.getAttribute(dir, "unix:dev", LinkOption.NOFOLLOW_LINKS))) {
                  return FileVisitResult.SKIP_SUBTREE;
                }
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
              Entry e = entry(file);
              if (e != null) {
                found.put(relative(root, file), e);
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
              if (exc instanceof NoSuchFileException) {
                return FileVisitResult.CONTINUE;
              }
              throw exc;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot scan " + root + ": " + e.getMessage(), e);
    }
    return new TreeManifest(found);
  }

  /** Sum of the sizes of the regular files. */
  public long fileBytes() {
    return entries.values().stream().filter(e -> e.type() == Type.FILE).mapToLong(Entry::size).sum();
  }

  private static Entry entry(Path p) throws IOException {
    Map<String, Object> a;
    try {
      a = Files.readAttributes(p, "unix:mode,uid,gid,ino,size,lastModifiedTime,ctime,isDirectory,isRegularFile,isSymbolicLink",
          LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return null;
    }
    Type type =
        Boolean.TRUE.equals(a.get("isDirectory")) ? Type.DIRECTORY
            : Boolean.TRUE.equals(a.get("isRegularFile")) ? Type.FILE
            : Boolean.TRUE.equals(a.get("isSymbolicLink")) ? Type.SYMLINK
            : Type.OTHER;
    return new Entry(
        type,
        ((Number) a.get("size")).longValue(),
        nanos((FileTime) a.get("lastModifiedTime")),
        nanos((FileTime) a.get("ctime")),
        ((Number) a.get("mode")).intValue(),
        ((Number) a.get("uid")).intValue(),
        ((Number) a.get("gid")).intValue(),
        ((Number) a.get("ino")).longValue());
  }

  private static long nanos(FileTime t) {
    java.time.Instant i = t.toInstant();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  private static String relative(Path root, Path p) {
    return root.relativize(p).toString();
  }
}
