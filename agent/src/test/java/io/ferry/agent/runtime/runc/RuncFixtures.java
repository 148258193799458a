package io.ferry.agent.runtime.runc;

import io.ferry.agent.config.AgentConfig;
import io.ferry.common.process.Command;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The host's runc, CRIU and base images for integration tests, as {@code deploy/host-setup.sh}
 * recorded them in {@code /etc/ferry/host.env}. System properties override each:
 * {@code ferry.it.runc}, {@code ferry.it.criu}, {@code ferry.it.images}.
 */
final class RuncFixtures {

  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

  private RuncFixtures() {}

  private static AgentConfig config() {
    return AgentConfig.load(Path.of("/nonexistent/agent.properties"), AgentConfig.HOST_ENV_FILE, Map.of());
  }

  static Path runc() {
    String override = System.getProperty("ferry.it.runc");
    return override != null ? Path.of(override) : config().runc();
  }

  static Path criu() {
    String override = System.getProperty("ferry.it.criu");
    return override != null ? Path.of(override) : config().criu();
  }

  /** {@code NAME.tar.zst} in the image cache. */
  static Path image(String name) {
    String override = System.getProperty("ferry.it.images");
    Path dir;
    if (override != null) {
      dir = Path.of(override);
    } else {
      Properties env = new Properties();
      try (var in = Files.newInputStream(AgentConfig.HOST_ENV_FILE)) {
        env.load(in);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + AgentConfig.HOST_ENV_FILE + ": run deploy/host-setup.sh", e);
      }
      dir = Path.of(env.getProperty("FERRY_IMAGE_CACHE", "/var/cache/ferry/images"));
    }
    return dir.resolve(name + ".tar.zst");
  }

  static RuncRuntime runtime(Path stateRoot) {
    return new RuncRuntime(runc(), criu(), stateRoot, COMMAND_TIMEOUT);
  }

  /** Removes whatever a test left in runc's state (kill -9, delete --force). */
  static void forceDeleteAll(Path stateRoot) {
    Path root = new StateLayout(stateRoot).runcRoot();
    var list = Command.of(runc().toString(), "--root", root.toString(), "list", "-q").timeout(COMMAND_TIMEOUT).run();
    for (String id : list.stdout().split("\n")) {
      if (!id.isBlank()) {
        Command.of(runc().toString(), "--root", root.toString(), "delete", "--force", id.strip()).timeout(COMMAND_TIMEOUT).run();
      }
    }
  }

  /** p50 and p90 of {@code millis}, e.g. {@code p50 41.2 ms, p90 47.9 ms (n=20)}. */
  static String percentiles(List<Double> millis) {
    List<Double> sorted = new ArrayList<>(millis);
    Collections.sort(sorted);
    return String.format("p50 %.1f ms, p90 %.1f ms, min %.1f, max %.1f (n=%d)",
        percentile(sorted, 50), percentile(sorted, 90), sorted.get(0), sorted.get(sorted.size() - 1), sorted.size());
  }

  static double percentile(List<Double> sorted, int p) {
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }

  /**
   * A base image unpacked once for a test class, with a runc runtime on its own state root;
   * {@link #close()} force-deletes every container left and removes it all.
   */
  record Sandbox(Path dir, Path rootfs, Path stateRoot, RuncRuntime runtime) implements AutoCloseable {

    static Sandbox unpack(String image) throws java.io.IOException {
      Path dir = java.nio.file.Files.createTempDirectory("ferry-runc-it-" + image + "-");
      Path rootfs = dir.resolve(image);
      long started = System.nanoTime();
      io.ferry.agent.runtime.ConformanceSupport.unpack(image(image), rootfs);
      org.slf4j.LoggerFactory.getLogger(Sandbox.class)
          .info("{} unpacked into {} in {} ms", image, rootfs, (System.nanoTime() - started) / 1_000_000);
      Path stateRoot = dir.resolve("state");
      return new Sandbox(dir, rootfs, stateRoot, RuncFixtures.runtime(stateRoot));
    }

    @Override
    public void close() {
      forceDeleteAll(stateRoot);
      io.ferry.agent.runtime.ConformanceSupport.removeTree(dir);
    }
  }
}
