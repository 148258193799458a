package io.ferry.agent.host;

import io.ferry.agent.host.HostFacts.Capacity;
import io.ferry.agent.host.HostFacts.CriuFacts;
import io.ferry.agent.host.HostFacts.CriuFeature;
import io.ferry.agent.host.HostFacts.RuntimeFacts;
import io.ferry.common.process.Command;
import io.ferry.common.process.CommandException;
import io.ferry.common.process.CommandResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds out what this host is: cores, memory, disk, kernel, the runc and CRIU versions, whether
 * {@code criu check} passes and which optional CRIU features this kernel has. The agent never
 * assumes a CRIU feature: migration modes are chosen from these facts.
 *
 * <p>Probing runs a handful of short commands (about a second in all); the agent does it once at
 * start. A missing or broken runc/CRIU is reported in the facts, not thrown: the host can still
 * run containers without CRIU, only not checkpoint them.
 */
public final class HostProbe {

  private static final Logger log = LoggerFactory.getLogger(HostProbe.class);

  /**
   * The CRIU features Ferry's migration modes depend on: {@code mem_dirty_track} for pre-copy,
   * {@code uffd}/{@code uffd-noncoop} for post-copy (lazy pages), {@code timens} for restoring a
   * container's clocks, {@code external_net_ns} and {@code network_lock_nftables} for network
   * identity across hosts, {@code cgroupns} for systemd containers.
   */
  public static final List<String> CRIU_FEATURES =
      List.of(
          "mem_dirty_track",
          "uffd",
          "uffd-noncoop",
          "timens",
          "cgroupns",
          "external_net_ns",
          "network_lock_nftables");

  private static final Pattern RUNC_VERSION = Pattern.compile("runc version (\\S+)");
  private static final Pattern CRIU_VERSION = Pattern.compile("Version:\\s*(\\S+)");
  private static final Pattern MEM_TOTAL = Pattern.compile("MemTotal:\\s+(\\d+) kB");
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(20);

  private final Path runc;
  private final Path criu;
  private final Path stateDir;

  public HostProbe(Path runc, Path criu, Path stateDir) {
    this.runc = runc;
    this.criu = criu;
    this.stateDir = stateDir;
  }

  public HostFacts probe(String hostName, String agentVersion) {
    HostFacts facts =
        new HostFacts(
            hostName,
            readTrimmed(Path.of("/proc/sys/kernel/osrelease")),
            new Capacity(Runtime.getRuntime().availableProcessors(), memoryBytes(), 0, 0),
            new RuntimeFacts("runc", runc, runcVersion()),
            probeCriu(),
            agentVersion);
    long[] disk = disk(stateDir);
    facts = facts.withDisk(disk[0], disk[1]);
    log.info(
        "host {}: {} cores, {} MiB, runc {}, criu {} (check {})",
        hostName,
        facts.capacity().cpuCores(),
        facts.capacity().memoryBytes() >> 20,
        facts.runtime().version(),
        facts.criu().version(),
        facts.criu().checkPassed() ? "passed" : "failed: " + facts.criu().detail());
    return facts;
  }

  /** Total and free bytes of the filesystem holding {@code dir} (or its nearest existing parent). */
  public static long[] disk(Path dir) {
    Path existing = dir.toAbsolutePath();
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    try {
      FileStore store = Files.getFileStore(existing == null ? Path.of("/") : existing);
      return new long[] {store.getTotalSpace(), store.getUsableSpace()};
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read disk space of " + dir, e);
    }
  }

  private String runcVersion() {
    try {
      return parseRuncVersion(Command.of(runc.toString(), "--version").timeout(PROBE_TIMEOUT).check().stdout());
    } catch (CommandException e) {
      log.warn("runc at {} does not run: {}", runc, e.getMessage());
      return "";
    }
  }

  private CriuFacts probeCriu() {
    String version;
    try {
      version = parseCriuVersion(Command.of(criu.toString(), "--version").timeout(PROBE_TIMEOUT).check().stdout());
    } catch (CommandException e) {
      return new CriuFacts(false, criu, "", false, "CRIU at " + criu + " does not run: " + e.getMessage(), List.of());
    }
    CommandResult check = Command.of(criu.toString(), "check").timeout(PROBE_TIMEOUT).run();
    boolean passed = checkPassed(check);
    List<CriuFeature> features = new ArrayList<>();
    for (String feature : CRIU_FEATURES) {
      CommandResult r = Command.of(criu.toString(), "check", "--feature", feature).timeout(PROBE_TIMEOUT).run();
      features.add(new CriuFeature(feature, r.succeeded(), r.succeeded() ? "" : lastLine(r.output())));
    }
    return new CriuFacts(true, criu, version, passed, passed ? "" : lastLine(check.output()), features);
  }

  static String parseRuncVersion(String output) {
    Matcher m = RUNC_VERSION.matcher(output);
    return m.find() ? m.group(1) : "";
  }

  static String parseCriuVersion(String output) {
    Matcher m = CRIU_VERSION.matcher(output);
    return m.find() ? m.group(1) : "";
  }

  /** CRIU prints "Looks good." (possibly after warnings) and exits 0 when the kernel suits it. */
  static boolean checkPassed(CommandResult check) {
    return check.succeeded() && check.output().contains("Looks good");
  }

  static long parseMemTotal(String meminfo) {
    Matcher m = MEM_TOTAL.matcher(meminfo);
    if (!m.find()) {
      throw new IllegalStateException("no MemTotal in /proc/meminfo");
    }
    return Long.parseLong(m.group(1)) * 1024;
  }

  static String lastLine(String text) {
    String[] lines = text.strip().split("\n");
    return lines[lines.length - 1].strip();
  }

  private static long memoryBytes() {
    return parseMemTotal(readTrimmed(Path.of("/proc/meminfo")));
  }

  private static String readTrimmed(Path file) {
    try {
      return Files.readString(file).strip();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
