package io.ferry.it.multihost;

import io.ferry.common.process.Command;
import io.ferry.common.process.CommandResult;
import io.ferry.it.LocalImages;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The Docker image every node of a {@link MultiHostCluster} runs: the debian-12 rootfs host setup
 * builds, plus runc, CRIU, the agent's tools and a JRE (recipe: {@code
 * deploy/images/ferry-host/Dockerfile}). Hosts run an agent in it, coordinators and ZooKeeper
 * nodes only need its JRE. The Ferry jars are not in it: the harness mounts them.
 *
 * <p>CRIU is not built in the image: the build copies this machine's own CRIU 4.2.1 (the binary
 * {@code deploy/lib/criu.sh} builds from Debian's source with Ferry's patches, found through
 * {@code /etc/ferry/host.env}); its libraries are all Debian 12 packages the recipe installs.
 *
 * <p>The tag is {@code ferry-it/ferry-host:DIGEST12}, the digest over every input (the base image's
 * tag, which is itself a digest of the rootfs, each file of the recipe directory and the CRIU
 * binary), so the image is built once per machine and again only when an input changes. A build
 * takes about 20 s (apt from Debian's mirror, through the host's network).
 */
final class FerryHostImage {

  /** The recipe directory, relative to the repository. */
  static final Path RECIPE = Path.of("deploy/images/ferry-host");

  private static final String REPOSITORY = "ferry-it/ferry-host";
  private static final Path HOST_ENV = Path.of("/etc/ferry/host.env");
  private static final Path DEFAULT_CRIU = Path.of("/opt/ferry/bin/criu");
  private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(10);

  private FerryHostImage() {}

  /**
   * Makes sure the image exists in the Docker engine and returns its tag, building it when absent.
   *
   * @param repository the repository root (holds {@link #RECIPE})
   * @throws IllegalStateException when the base image or CRIU is missing (host setup has not run),
   *     or the build fails (the message carries the tail of its output)
   */
  static synchronized String ensure(Path repository) throws IOException {
    String base = LocalImages.dockerImage("debian-12");
    Path recipe = repository.resolve(RECIPE);
    Path criu = criuBinary();
    List<Path> files;
    try (Stream<Path> listing = Files.list(recipe)) {
      files = listing.filter(Files::isRegularFile).sorted().toList();
    }
    if (files.stream().noneMatch(f -> f.getFileName().toString().equals("Dockerfile"))) {
      throw new IllegalStateException(recipe + " has no Dockerfile");
    }
    String tag = REPOSITORY + ":" + digest(base, files, criu).substring(0, 12);
    if (Command.of(docker(), "image", "inspect", "--format", "{{.Id}}", tag).run().succeeded()) {
      return tag;
    }
    Path context = Files.createTempDirectory("ferry-host-image");
    try {
      for (Path file : files) {
        Files.copy(file, context.resolve(file.getFileName()));
      }
      Files.copy(criu, context.resolve("criu"), StandardCopyOption.COPY_ATTRIBUTES);
      // The legacy builder with the host's network: the build's apt reaches Debian's mirror the
      // way the host does (its resolver, no NAT through docker0).
      CommandResult build =
          Command.of(docker(), "build", "--network", "host", "--build-arg", "BASE=" + base, "-t", tag, context.toString())
              .env("DOCKER_BUILDKIT", "0")
              .timeout(BUILD_TIMEOUT)
              .run();
      if (!build.succeeded()) {
        String out = build.output();
        throw new IllegalStateException("docker build of " + tag + " failed (exit " + build.exitCode() + "):\n"
            + out.substring(Math.max(0, out.length() - 4000)));
      }
      removeOtherTags(tag);
      return tag;
    } finally {
      Command.of("rm", "-rf", context.toString()).run();
    }
  }

  /**
   * Removes the images of earlier inputs (other tags of {@link #REPOSITORY}), so that the machine
   * keeps one. Best effort: an image a container still uses stays (no {@code --force}).
   */
  private static void removeOtherTags(String keep) {
    CommandResult tags = Command.of(docker(), "image", "ls", REPOSITORY, "--format", "{{.Repository}}:{{.Tag}}").run();
    if (tags.succeeded()) {
      tags.stdout().lines().map(String::strip).filter(t -> !t.isEmpty() && !t.equals(keep))
          .forEach(old -> Command.of(docker(), "rmi", old).run());
    }
  }

  /** The docker CLI: docker.io's own (a client-only {@code docker} may come first on PATH). */
  static String docker() {
    return Files.isExecutable(Path.of("/usr/bin/docker")) ? "/usr/bin/docker" : "docker";
  }

  /** The CRIU host setup installed: {@code FERRY_CRIU} in /etc/ferry/host.env, else its default place. */
  private static Path criuBinary() throws IOException {
    Path criu = DEFAULT_CRIU;
    if (Files.isRegularFile(HOST_ENV)) {
      for (String line : Files.readAllLines(HOST_ENV)) {
        if (line.startsWith("FERRY_CRIU=")) {
          criu = Path.of(line.substring("FERRY_CRIU=".length()).strip());
        }
      }
    }
    if (!Files.isExecutable(criu)) {
      throw new IllegalStateException("CRIU " + criu + " is missing: run deploy/host-setup.sh");
    }
    return criu;
  }

  private static String digest(String base, List<Path> files, Path criu) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    sha.update(("base " + base + "\n").getBytes(StandardCharsets.UTF_8));
    Map<String, Path> inputs = new java.util.TreeMap<>();
    files.forEach(f -> inputs.put(f.getFileName().toString(), f));
    inputs.put("criu", criu);
    for (Map.Entry<String, Path> input : inputs.entrySet()) {
      sha.update(("file " + input.getKey() + "\n").getBytes(StandardCharsets.UTF_8));
      try (InputStream in = Files.newInputStream(input.getValue())) {
        byte[] buffer = new byte[1 << 16];
        for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
          sha.update(buffer, 0, n);
        }
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }
}
