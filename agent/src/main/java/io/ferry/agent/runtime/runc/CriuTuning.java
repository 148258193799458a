package io.ferry.agent.runtime.runc;

import io.ferry.common.process.Command;
import io.ferry.common.process.CommandResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two fixed costs CRIU pays on every dump and restore, which fall inside a live move's frozen
 * window, and what this host does about them. Both were measured on this project's VMs (see
 * docs/BENCHMARKS.md, migration):
 *
 * <ul>
 *   <li><b>Network lock.</b> CRIU's default locks a container's network namespace with {@code
 *       iptables-restore} and unlocks it with four more runs (on an nftables backend the unlock
 *       alone took 50-60 ms, per dump and per restore). With {@code network-lock nftables} it adds
 *       one table through libnftables in its own process, and Ferry's CRIU opens it with a rule and
 *       deletes it in the background (deploy/criu/). Whether this CRIU can is the
 *       host probe's {@code network_lock_nftables} answer, the same one the migration's mode choice
 *       reads: a restore uses the method its dump recorded, so a target must support it too.
 *   <li><b>Kernel facts.</b> CRIU probes the kernel (about 30 ms) on every run unless it finds its
 *       cache, which it keeps only on a tmpfs, in the run directory compiled into it. Ferry's CRIU is
 *       built with {@link #KDAT_DIR} as that directory (deploy/lib/criu.sh), and this class mounts a
 *       small tmpfs there when it is not one already. Cleared at reboot, as a kernel change needs.
 * </ul>
 *
 * Failure modes: none surface. When the mount is refused (a host without the privilege), CRIU
 * probes the kernel on every run, slower, and the reason is logged.
 */
final class CriuTuning {

  private static final Logger log = LoggerFactory.getLogger(CriuTuning.class);

  /** CRIU's run directory as deploy/lib/criu.sh builds it (RUNDIR): where it caches kernel facts. */
  static final Path KDAT_DIR = Path.of("/run/ferry-criu");

  private static final Duration MOUNT_TIMEOUT = Duration.ofSeconds(20);

  private final boolean nftablesLock;

  /**
   * Prepares {@link #KDAT_DIR}.
   *
   * @param nftablesLock this host's CRIU has {@code network_lock_nftables} (per the host probe)
   */
  CriuTuning(boolean nftablesLock) {
    this(nftablesLock, KDAT_DIR);
  }

  /** As {@link #CriuTuning(boolean)}, with the cache directory given (tests). */
  CriuTuning(boolean nftablesLock, Path kdatDir) {
    this.nftablesLock = nftablesLock;
    prepareKdatDir(kdatDir);
  }

  /** Lines for a dump's CRIU configuration (a restore follows what its dump recorded). */
  List<String> dumpConfigLines() {
    return nftablesLock ? List.of("network-lock nftables") : List.of();
  }

  private static void prepareKdatDir(Path dir) {
    try {
      Files.createDirectories(dir);
      if (isTmpfs(dir)) {
        return;
      }
      CommandResult r = Command.of("mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "ferry-criu", dir.toString())
          .timeout(MOUNT_TIMEOUT).run();
      if (!r.succeeded()) {
        log.info("no tmpfs at {} ({}): CRIU probes the kernel on every run", dir, r.stderr().strip());
      }
    } catch (IOException | RuntimeException e) {
      log.info("no CRIU cache directory {}: {}", dir, e.getMessage());
    }
  }

  /** Whether {@code dir} is a tmpfs mount point or inside one, per /proc/self/mounts. */
  static boolean isTmpfs(Path dir) throws IOException {
    Path real = dir.toRealPath();
    String best = "";
    String type = "";
    for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
      String[] f = line.split(" ");
      if (f.length < 3) {
        continue;
      }
      String mountPoint = f[1].replace("\\040", " ");
      boolean covers = real.toString().equals(mountPoint) || real.startsWith(mountPoint);
      if (covers && mountPoint.length() >= best.length()) {
        best = mountPoint;
        type = f[2];
      }
    }
    return type.equals("tmpfs");
  }
}
