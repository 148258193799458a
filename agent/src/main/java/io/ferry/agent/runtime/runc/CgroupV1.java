package io.ferry.agent.runtime.runc;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import io.ferry.agent.runtime.Limits;
import io.ferry.agent.runtime.ResourceUsage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a container's limits and usage from the cgroup v1 files the kernel enforces (memory, cpu,
 * cpuacct, pids), as mounted on this host. Where each controller is mounted comes from a
 * mountinfo table ({@code /proc/self/mountinfo}), so a host with merged hierarchies
 * ({@code cpu,cpuacct}) or an agent inside a cgroup namespace reads the right files.
 *
 * <p>Immutable and thread-safe; every read goes to the kernel.
 */
final class CgroupV1 {

  private static final Logger log = LoggerFactory.getLogger(CgroupV1.class);

  /** Within this of Long.MAX_VALUE, a memory limit is the kernel's "unlimited" (page-rounded). */
  private static final long UNLIMITED_MEMORY_SLACK = 1L << 20;

  private static final Set<String> MOUNT_FLAGS = Set.of("rw", "ro");

  private record Hierarchy(Path mountPoint, String root) {}

  private final Map<String, Hierarchy> hierarchies;

  private CgroupV1(Map<String, Hierarchy> hierarchies) {
    this.hierarchies = Map.copyOf(hierarchies);
  }

  /** This host's cgroup v1 hierarchies, from {@code /proc/self/mountinfo}. */
  static CgroupV1 host() {
    try {
      return fromMountinfo(Files.readString(Path.of("/proc/self/mountinfo")));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read /proc/self/mountinfo", e);
    }
  }

  /** The cgroup v1 hierarchies of a mountinfo table (see proc(5)); other mounts are ignored. */
  static CgroupV1 fromMountinfo(String mountinfo) {
    Map<String, Hierarchy> found = new HashMap<>();
    for (String line : mountinfo.split("\n")) {
      String[] halves = line.split(" - ", 2);
      if (halves.length != 2) {
        continue;
      }
      String[] fields = halves[0].split(" ");
      String[] tail = halves[1].split(" ");
      if (fields.length < 5 || tail.length < 3 || !tail[0].equals("cgroup")) {
        continue;
      }
      Hierarchy hierarchy = new Hierarchy(Path.of(unescape(fields[4])), unescape(fields[3]));
      for (String option : tail[2].split(",")) {
        if (!MOUNT_FLAGS.contains(option)) {
          found.putIfAbsent(option, hierarchy);
        }
      }
    }
    return new CgroupV1(found);
  }

  /** The directory of {@code cgroupPath} in {@code controller}'s hierarchy, if it is mounted. */
  Optional<Path> dir(String controller, String cgroupPath) {
    Hierarchy h = hierarchies.get(controller);
    if (h == null) {
      return Optional.empty();
    }
    String relative = cgroupPath;
    if (!h.root().equals("/") && (relative.equals(h.root()) || relative.startsWith(h.root() + "/"))) {
      relative = relative.substring(h.root().length());
    }
    return Optional.of(h.mountPoint().resolve(relative.replaceFirst("^/+", "")));
  }

  /** The limits the kernel enforces on {@code cgroupPath}. */
  Limits readLimits(String cgroupPath) {
    Path memory = require("memory", cgroupPath);
    Path cpu = require("cpu", cgroupPath);
    Path pids = require("pids", cgroupPath);
    OptionalLong memoryLimit = memoryLimit(read(memory.resolve("memory.limit_in_bytes")));
    Path memsw = memory.resolve("memory.memsw.limit_in_bytes");
    if (memoryLimit.isPresent() && Files.exists(memsw)) {
      OptionalLong swapLimit = memoryLimit(read(memsw));
      if (swapLimit.isEmpty() || swapLimit.getAsLong() != memoryLimit.getAsLong()) {
        log.warn("cgroup={} memory+swap limit {} differs from the memory limit {}: swap is not off",
            cgroupPath, swapLimit, memoryLimit.getAsLong());
      }
    }
    return new Limits(
        OptionalLong.of(number(read(cpu.resolve("cpu.shares")))),
        quota(read(cpu.resolve("cpu.cfs_quota_us"))),
        OptionalLong.of(number(read(cpu.resolve("cpu.cfs_period_us")))),
        memoryLimit,
        pidsMax(read(pids.resolve("pids.max"))));
  }

  /** What {@code cgroupPath} uses now. */
  ResourceUsage usage(String cgroupPath) {
    Path memory = require("memory", cgroupPath);
    Path cpuacct = require("cpuacct", cgroupPath);
    Path pids = require("pids", cgroupPath);
    return new ResourceUsage(
        number(read(memory.resolve("memory.usage_in_bytes"))),
        number(read(memory.resolve("memory.max_usage_in_bytes"))),
        number(read(pids.resolve("pids.current"))),
        number(read(cpuacct.resolve("cpuacct.usage"))));
  }

  /** Every process in {@code cgroupPath} and its sub-cgroups (pids hierarchy), host pids. */
  List<Integer> processes(String cgroupPath) {
    Path dir = require("pids", cgroupPath);
    List<Integer> pids = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path procs : files.filter(p -> p.getFileName().toString().equals("cgroup.procs")).toList()) {
        for (String line : read(procs).split("\n")) {
          if (!line.isBlank()) {
            pids.add(Integer.parseInt(line.strip()));
          }
        }
      }
    } catch (IOException | UncheckedIOException e) {
      throw new AgentException(Kind.INTERNAL, "cannot list the processes of cgroup " + cgroupPath + ": " + e.getMessage(), e);
    }
    return pids;
  }

  /** {@code memory.limit_in_bytes}: the kernel's huge page-rounded maximum means no limit. */
  static OptionalLong memoryLimit(String text) {
    long value = number(text);
    return value >= Long.MAX_VALUE - UNLIMITED_MEMORY_SLACK ? OptionalLong.empty() : OptionalLong.of(value);
  }

  /** {@code pids.max}: {@code max} means no limit. */
  static OptionalLong pidsMax(String text) {
    return text.strip().equals("max") ? OptionalLong.empty() : OptionalLong.of(number(text));
  }

  /** {@code cpu.cfs_quota_us}: -1 means no quota. */
  static OptionalLong quota(String text) {
    long value = number(text);
    return value < 0 ? OptionalLong.empty() : OptionalLong.of(value);
  }

  static long number(String text) {
    try {
      return Long.parseLong(text.strip());
    } catch (NumberFormatException e) {
      throw new AgentException(Kind.INTERNAL, "unexpected cgroup value '" + text.strip() + "'", e);
    }
  }

  private Path require(String controller, String cgroupPath) {
    Path dir = dir(controller, cgroupPath)
        .orElseThrow(() -> new AgentException(Kind.INTERNAL, "the cgroup v1 " + controller + " controller is not mounted"));
    if (!Files.isDirectory(dir)) {
      throw new AgentException(Kind.NOT_FOUND, "cgroup " + dir + " does not exist");
    }
    return dir;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new AgentException(Kind.NOT_FOUND, "cgroup file " + file + " does not exist", e);
    } catch (IOException e) {
      throw new AgentException(Kind.INTERNAL, "cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** mountinfo escapes space, tab, newline and backslash as octal ({@code \040}). */
  private static String unescape(String field) {
    StringBuilder out = new StringBuilder(field.length());
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == '\\' && i + 4 <= field.length()) {
        String octal = field.substring(i + 1, i + 4);
        if (octal.chars().allMatch(ch -> ch >= '0' && ch <= '7')) {
          out.append((char) Integer.parseInt(octal, 8));
          i += 3;
          continue;
        }
      }
      out.append(c);
    }
    return out.toString();
  }
}
