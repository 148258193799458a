package io.ferry.it;

import io.ferry.common.process.Command;
import io.ferry.common.process.CommandResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * The base root filesystems {@code deploy/host-setup.sh} builds locally (no registry is
 * reachable), and their import into the Docker engine as images for Testcontainers.
 *
 * <p>Each tarball {@code NAME.tar.zst} sits beside {@code NAME.tar.zst.sha256}; {@link #tarball}
 * verifies the digest so a test never runs on a half-written or corrupted image. Docker images are
 * tagged with the first 12 hex digits of that digest, so a rebuilt rootfs gets a new tag and an
 * unchanged one is imported only once per machine.
 */
public final class LocalImages {

  /** Where host setup keeps the images; override with FERRY_IMAGE_CACHE. */
  public static final Path CACHE =
      Path.of(System.getenv().getOrDefault("FERRY_IMAGE_CACHE", "/var/cache/ferry/images"));

  private LocalImages() {}

  /**
   * The verified tarball of base image {@code name} (e.g. {@code busybox}, {@code debian-12}).
   *
   * @throws IllegalStateException when it is missing (host setup has not run) or its digest differs
   */
  public static Path tarball(String name) throws IOException {
    Path tar = CACHE.resolve(name + ".tar.zst");
    Path sum = CACHE.resolve(name + ".tar.zst.sha256");
    if (!Files.isRegularFile(tar) || !Files.isRegularFile(sum)) {
      throw new IllegalStateException(tar + " or its .sha256 is missing: run deploy/host-setup.sh");
    }
    String expected = Files.readString(sum).strip().split("\\s+")[0];
    String actual = sha256(tar);
    if (!actual.equals(expected)) {
      throw new IllegalStateException(tar + " has SHA-256 " + actual + ", its .sha256 says " + expected);
    }
    return tar;
  }

  /**
   * Makes sure Docker has base image {@code name} as {@code ferry-it/NAME:DIGEST12} and returns
   * that tag. Imports the rootfs tarball ({@code docker import}) only when the tag is absent.
   */
  public static String dockerImage(String name) throws IOException {
    Path tar = tarball(name);
    String tag = "ferry-it/" + name + ":" + sha256(tar).substring(0, 12);
    CommandResult inspect = Command.of("docker", "image", "inspect", "--format", "{{.Id}}", tag).run();
    if (!inspect.succeeded()) {
      Command.of("sh", "-c", "zstd -dc \"$0\" | docker import - \"$1\"", tar.toString(), tag)
          .timeout(Duration.ofMinutes(5))
          .check();
    }
    return tag;
  }

  static String sha256(Path file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] buffer = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
        digest.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
