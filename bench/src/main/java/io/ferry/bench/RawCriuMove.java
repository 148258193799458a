package io.ferry.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The baseline of the migration benchmark: CRIU stop-and-copy by hand, no Ferry code in the path.
 * A plain runc container (from {@code runc spec}, the same Debian rootfs and the same workload as
 * Ferry's container) is dumped with {@code runc checkpoint --page-server} to a {@code criu
 * page-server} running in the target host's network namespace (so the pages cross the same underlay
 * as Ferry's), the dump's other images are copied beside the pages, and {@code runc restore -d}
 * resumes it. Downtime is from the start of the checkpoint to the end of the restore; the page
 * server is listening before that, as Ferry's page stream is opened before its freeze.
 *
 * <p>The restore runs on this machine's root namespaces (the rootfs is shared, so nothing else has
 * to move): what is measured is CRIU's dump, page transfer and restore, which is what any system
 * built on CRIU pays at least.
 *
 * <p>{@link #lazyMove} is the post-copy baseline: {@code runc checkpoint --lazy-pages} run in the
 * source host's network namespace (its page server listens there), CRIU's {@code lazy-pages}
 * daemon in the target's, connected to it across the underlay, and {@code runc restore -d
 * --lazy-pages} reading the images in place. The dumped container's runc state lives on until its
 * last page is served, so the restore registers the container under the other of two runc roots
 * ({@link #roots}), and the two swap at every lazy move.
 *
 * <p>stdio are pipes, as runc needs for a checkpointable detached container (a file on the host
 * would be outside the container's mounts); they are held open until {@link #close()}.
 */
final class RawCriuMove implements AutoCloseable {

  private static final String ID = "ferrybench-raw";
  private static final int PAGE_SERVER_PORT = 27_311;
  private static final int LAZY_PAGES_PORT = 27_312;

  private final Path dir;
  private final Path bundle;
  private final Path criu;
  private final List<Process> held = new ArrayList<>();
  /** runc's state roots: the container lives under the first; a lazy move restores it under the second and swaps them. */
  private final Path[] roots;

  private RawCriuMove(Path dir, Path criu) {
    this.dir = dir;
    this.bundle = dir.resolve("bundle");
    this.criu = criu;
    this.roots = new Path[] {dir.resolve("runc-1"), dir.resolve("runc-2")};
  }

  /** Unpacks the image and writes the bundle for {@code args}, under {@code dir}. */
  static RawCriuMove prepare(Path dir, Path imageTar, List<String> args, Path criu) throws Exception {
    RawCriuMove raw = new RawCriuMove(dir, criu);
    Path rootfs = raw.bundle.resolve("rootfs");
    Files.createDirectories(rootfs);
    // Left by a run before this one kept the container under runc's default root.
    TwoHosts.sh("runc delete --force " + ID + " 2>/dev/null; zstd -dc " + imageTar + " | tar -x -C " + rootfs
        + " && cd " + raw.bundle + " && runc spec");
    ObjectMapper json = new ObjectMapper();
    Path configFile = raw.bundle.resolve("config.json");
    ObjectNode config = (ObjectNode) json.readTree(configFile.toFile());
    ObjectNode process = (ObjectNode) config.get("process");
    process.put("terminal", false);
    ArrayNode argv = process.putArray("args");
    args.forEach(argv::add);
    config.putObject("root").put("path", rootfs.toString()).put("readonly", false);
    ((ObjectNode) config.get("linux")).put("cgroupsPath", "/" + ID);
    json.writeValue(configFile.toFile(), config);
    return raw;
  }

  /** Starts the container; {@code rootfs/tmp/count} tells when its workload is ready. */
  void start() throws Exception {
    run(runc("run", "--detach", "--bundle", bundle.toString(), ID));
  }

  /** {@code runc --root <current root> --criu CRIU ARGS}. */
  private List<String> runc(String... args) {
    return runc(roots[0], args);
  }

  private List<String> runc(Path root, String... args) {
    List<String> argv = new ArrayList<>(List.of("runc", "--root", root.toString(), "--criu", criu.toString()));
    argv.addAll(List.of(args));
    return argv;
  }

  Path rootfsFile(String path) {
    return bundle.resolve("rootfs").resolve(path);
  }

  /** One stop-and-copy to a page server in {@code target}'s namespace; returns the downtime in ms. */
  double move(TwoHosts.Host target) throws Exception {
    Path local = fresh(dir.resolve("images-source"));
    Path remote = fresh(dir.resolve("images-target"));
    Process pageServer = new ProcessBuilder(target.inNetns(List.of(criu.toString(), "page-server", "--images-dir",
        remote.toString(), "--address", target.ip, "--port", Integer.toString(PAGE_SERVER_PORT), "--status-fd", "1",
        "--log-file", "page-server.log", "-v2")))
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try (InputStream ready = pageServer.getInputStream()) {
      if (ready.read() < 0) {
        throw new IllegalStateException("criu page-server did not start: see " + remote.resolve("page-server.log"));
      }
      long t0 = System.nanoTime();
      run(runc("checkpoint", "--image-path", local.toString(), "--page-server", target.ip + ":" + PAGE_SERVER_PORT, ID));
      try (Stream<Path> images = Files.list(local)) {
        for (Path image : images.filter(p -> p.getFileName().toString().endsWith(".img")
            || p.getFileName().toString().endsWith(".json")).toList()) {
          Files.copy(image, remote.resolve(image.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      long t1 = System.nanoTime();
      run(runc("restore", "--detach", "--image-path", remote.toString(), "--bundle", bundle.toString(), ID));
      long t2 = System.nanoTime();
      TwoHosts.sh("mkdir -p " + TwoHosts.LOGS + " && cp " + remote.resolve("restore.log") + " " + TwoHosts.LOGS
          .resolve("restore-raw-" + t0 + ".log") + " 2>/dev/null; true");
      System.err.printf("bench: raw CRIU: checkpoint %.0f ms, restore %.0f ms%n", (t1 - t0) / 1e6, (t2 - t1) / 1e6);
      return (t2 - t0) / 1e6;
    } finally {
      if (!pageServer.waitFor(30, TimeUnit.SECONDS)) {
        pageServer.destroyForcibly();
      }
    }
  }

  /**
   * One post-copy move by hand, the page server in {@code source}'s namespace and the lazy-pages
   * daemon in {@code target}'s; returns the downtime in ms: from the checkpoint's start to the end
   * of the restore (the container runs, its pages still arriving). Waits until every page arrived.
   */
  double lazyMove(TwoHosts.Host source, TwoHosts.Host target) throws Exception {
    Path images = fresh(dir.resolve("images-lazy"));
    Path work = fresh(dir.resolve("work-lazy"));
    long t0 = System.nanoTime();
    Process dump = new ProcessBuilder(source.inNetns(runc("checkpoint", "--lazy-pages", "--page-server",
        source.ip + ":" + LAZY_PAGES_PORT, "--status-fd", "1", "--image-path", images.toString(), "--work-path",
        images.toString(), ID)))
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    held.add(dump);
    if (dump.getInputStream().read() != 0) {
      throw new IllegalStateException("runc checkpoint --lazy-pages did not get ready: see " + images.resolve("dump.log"));
    }
    long t1 = System.nanoTime();
    Process daemon = new ProcessBuilder(target.inNetns(List.of(criu.toString(), "lazy-pages", "--page-server",
        "--address", source.ip, "--port", Integer.toString(LAZY_PAGES_PORT), "--images-dir", images.toString(),
        "--work-dir", work.toString(), "--log-file", "lazy-pages.log")))
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    held.add(daemon);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Files.exists(work.resolve("lazy-pages.socket"))) {
      if (!daemon.isAlive() || System.nanoTime() > deadline) {
        throw new IllegalStateException("criu lazy-pages did not start: see " + work.resolve("lazy-pages.log"));
      }
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }
    long t2 = System.nanoTime();
    run(runc(roots[1], "restore", "--detach", "--lazy-pages", "--image-path", images.toString(), "--work-path",
        work.toString(), "--bundle", bundle.toString(), ID));
    long t3 = System.nanoTime();
    Path swapped = roots[0];
    roots[0] = roots[1];
    roots[1] = swapped;
    // The dump's runc exits once every page is served; it fails to remove the cgroup the restored
    // container now uses, and says so, which is expected here: its exit status is not checked.
    if (!daemon.waitFor(5, TimeUnit.MINUTES) || daemon.exitValue() != 0) {
      throw new IllegalStateException("criu lazy-pages failed: see " + work.resolve("lazy-pages.log"));
    }
    if (!dump.waitFor(5, TimeUnit.MINUTES)) {
      throw new IllegalStateException("runc checkpoint --lazy-pages still serves pages after 5 minutes");
    }
    TwoHosts.sh("mkdir -p " + TwoHosts.LOGS + " && cp " + work.resolve("restore.log") + " " + TwoHosts.LOGS
        .resolve("restore-raw-lazy-" + t0 + ".log") + " 2>/dev/null; true");
    System.err.printf("bench: raw CRIU post-copy: checkpoint %.0f ms, lazy-pages daemon %.0f ms, restore %.0f ms%n",
        (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6);
    return (t3 - t0) / 1e6;
  }

  private void run(List<String> argv) throws Exception {
    Process p = new ProcessBuilder(argv).start();
    held.add(p);
    if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException(argv + " failed: " + new String(p.getErrorStream().readNBytes(4096))
          + " (CRIU logs under " + dir + ")");
    }
  }

  private static Path fresh(Path images) throws IOException {
    TwoHosts.sh("rm -rf " + images);
    return Files.createDirectories(images);
  }

  @Override
  public void close() {
    TwoHosts.sh("runc --root " + roots[0] + " delete --force " + ID + " 2>/dev/null; runc --root " + roots[1]
        + " delete --force " + ID + " 2>/dev/null; rm -rf --one-file-system " + dir + "; true");
    for (Process p : held) {
      p.destroyForcibly();
    }
  }
}
