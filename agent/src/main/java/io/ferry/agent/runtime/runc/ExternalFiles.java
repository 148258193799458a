package io.ferry.agent.runtime.runc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The container's console log as CRIU sees it: a regular file on a host mount, open in the
 * container's processes (init's stdout and stderr, and whatever inherited them). CRIU refuses to
 * dump a file whose mount is not in the container ("Can't lookup mount=N for fd=1"), so the dump
 * declares it external ({@code external file[MNT_ID:INODE]}, ids in hex) and the restore hands it
 * back as an inherited descriptor ({@code inherit-fd fd[1]:file[MNT_ID:INODE]}, fd 1 of CRIU being
 * runc's stdout, the new console log). The keys travel with the images in {@link #METADATA}.
 */
final class ExternalFiles {

  /** Written next to CRIU's images: the external file keys the restore must provide. */
  static final String METADATA = "ferry-external-files.json";

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private ExternalFiles() {}

  /**
   * CRIU's keys for every descriptor of {@code pids} that refers to {@code file} (same device and
   * inode). Processes or descriptors that vanish while looking are skipped.
   */
  static List<String> keys(Path file, Collection<Integer> pids, Path proc) throws IOException {
    if (!Files.exists(file)) {
      return List.of();
    }
    Object dev = Files.getAttribute(file, "unix:dev");
    Object ino = Files.getAttribute(file, "unix:ino");
    Set<String> keys = new LinkedHashSet<>();
    for (int pid : pids) {
      Path fds = proc.resolve(Integer.toString(pid)).resolve("fd");
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(fds)) {
        for (Path fd : entries) {
          try {
            if (Objects.equals(Files.getAttribute(fd, "unix:dev"), dev)
                && Objects.equals(Files.getAttribute(fd, "unix:ino"), ino)) {
              String info = Files.readString(proc.resolve(Integer.toString(pid)).resolve("fdinfo").resolve(fd.getFileName()));
              keys.add(key(mountId(info), ((Number) ino).longValue()));
            }
          } catch (NoSuchFileException e) {
            // closed meanwhile
          }
        }
      } catch (NoSuchFileException e) {
        // exited meanwhile
      }
    }
    return List.copyOf(keys);
  }

  /** CRIU's key of a file: {@code file[MNT_ID:INODE]} in hex, as criu/files-reg.c prints it. */
  static String key(int mountId, long inode) {
    return "file[" + Integer.toHexString(mountId) + ":" + Long.toHexString(inode) + "]";
  }

  /** The {@code mnt_id} field of a {@code /proc/PID/fdinfo/FD} text. */
  static int mountId(String fdinfo) {
    for (String line : fdinfo.split("\n")) {
      if (line.startsWith("mnt_id:")) {
        return Integer.parseInt(line.substring("mnt_id:".length()).strip());
      }
    }
    throw new IllegalArgumentException("no mnt_id in fdinfo: " + fdinfo);
  }

  /** CRIU configuration lines for the dump: each key declared external. */
  static List<String> dumpLines(List<String> keys) {
    return keys.stream().map(k -> "external " + k).toList();
  }

  /**
   * CRIU configuration lines for the restore: each key mapped to one of CRIU's standard
   * descriptors, all of which runc points at the console log (stdout first, then stderr).
   */
  static List<String> restoreLines(List<String> keys) {
    if (keys.size() > 2) {
      throw new IllegalArgumentException("more than two external console files: " + keys);
    }
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      lines.add("inherit-fd fd[" + (i + 1) + "]:" + keys.get(i));
    }
    return lines;
  }

  static void writeMetadata(Path imageDir, List<String> keys) throws IOException {
    ObjectNode root = MAPPER.createObjectNode();
    ArrayNode array = root.putArray("consoleKeys");
    keys.forEach(array::add);
    MAPPER.writeValue(imageDir.resolve(METADATA).toFile(), root);
  }

  /** The keys recorded with a checkpoint; none when it was not taken by Ferry. */
  static List<String> readMetadata(Path imageDir) throws IOException {
    Path file = imageDir.resolve(METADATA);
    if (!Files.exists(file)) {
      return List.of();
    }
    List<String> keys = new ArrayList<>();
    MAPPER.readTree(file.toFile()).path("consoleKeys").forEach(k -> keys.add(k.asText()));
    return keys;
  }
}
