package io.ferry.agent.runtime;

import io.ferry.common.process.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;

/** Host-side helpers for the runtime conformance suites (Linux, run as root). */
public final class ConformanceSupport {

  /**
   * An init that counts in {@code $COUNTER} (a file in the root filesystem) ten times a second.
   * With {@code trapTerm}, SIGTERM ends it; without, it ignores SIGTERM as any PID 1 without a
   * handler does.
   */
  public static String counterScript(boolean trapTerm) {
    return (trapTerm ? "trap 'exit 0' TERM; " : "")
        + "i=0; while true; do i=$((i+1)); echo $i > \"$COUNTER\"; sleep 0.1; done";
  }

  private ConformanceSupport() {}

  /** A fresh id like {@code rt-3f9a2c}, unique enough for one test run. */
  public static String newId(String prefix) {
    return prefix + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong(0x100000L, 0xFFFFFFL));
  }

  /** The counter a container wrote into {@code file}, or empty before its first write. */
  public static OptionalLong counter(Path file) {
    try {
      String text = Files.readString(file).strip();
      return text.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(text));
    } catch (NoSuchFileException e) {
      return OptionalLong.empty();
    } catch (IOException | NumberFormatException e) {
      // Read while being rewritten: no value this time.
      return OptionalLong.empty();
    }
  }

  /** The target of {@code /proc/PID/ns/TYPE}, e.g. {@code net:[4026531840]}. */
  public static String namespace(long pid, String type) throws IOException {
    return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns", type)).toString();
  }

  /** This JVM's namespace of {@code type}. */
  public static String hostNamespace(String type) throws IOException {
    return Files.readSymbolicLink(Path.of("/proc/self/ns", type)).toString();
  }

  /** The {@code net:[INODE]} form of a named network namespace, as /proc shows it. */
  public static String netnsId(Path netns) throws IOException {
    return "net:[" + Files.getAttribute(netns, "unix:ino") + "]";
  }

  /** Creates {@code /run/netns/NAME} with {@code ip netns add}. */
  public static Path addNetworkNamespace(String name) {
    Command.of("ip", "netns", "add", name).timeout(Duration.ofSeconds(10)).check();
    return Path.of("/run/netns", name);
  }

  /** Deletes a namespace made by {@link #addNetworkNamespace}; absent is fine. */
  public static void deleteNetworkNamespace(String name) {
    if (Files.exists(Path.of("/run/netns", name))) {
      Command.of("ip", "netns", "delete", name).timeout(Duration.ofSeconds(10)).check();
    }
  }

  /**
   * Removes a tree made by a test (e.g. an unpacked root filesystem) with {@code rm -rf
   * --one-file-system}, so nothing mounted below it is touched; quieter than JUnit's temporary
   * directory clean-up, which warns about every absolute symbolic link of a root filesystem.
   */
  public static void removeTree(Path dir) {
    if (dir != null && Files.exists(dir)) {
      Command.of("rm", "-rf", "--one-file-system", dir.toString()).timeout(Duration.ofMinutes(2)).check();
    }
  }

  /** Unpacks a {@code .tar.zst} root filesystem image into {@code dir}, owners kept. */
  public static void unpack(Path tarball, Path dir) throws IOException {
    if (!Files.isRegularFile(tarball)) {
      throw new IllegalStateException("image " + tarball + " is missing: run deploy/host-setup.sh (or point"
          + " -Dferry.it.images at a directory holding busybox.tar.zst and debian-12.tar.zst)");
    }
    Files.createDirectories(dir);
    Command.of("tar", "--zstd", "-xpf", tarball.toString(), "--numeric-owner", "-C", dir.toString())
        .timeout(Duration.ofMinutes(3))
        .check();
  }
}
