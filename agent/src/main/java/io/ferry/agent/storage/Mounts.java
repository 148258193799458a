package io.ferry.agent.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the mount table of this process's mount namespace. */
final class Mounts {

  private Mounts() {}

  /** True when something is mounted exactly at {@code path}. */
  static boolean isMountPoint(Path path) {
    String target = path.toAbsolutePath().normalize().toString();
    try {
      return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
          .map(line -> line.split(" "))
          .anyMatch(fields -> fields.length > 4 && unescape(fields[4]).equals(target));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read /proc/self/mountinfo", e);
    }
  }

  /** mountinfo escapes space, tab, newline and backslash as octal. */
  static String unescape(String field) {
    return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
  }
}
