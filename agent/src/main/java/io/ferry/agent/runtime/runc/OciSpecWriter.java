package io.ferry.agent.runtime.runc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ferry.agent.runtime.InitKind;
import io.ferry.agent.runtime.Limits;
import io.ferry.agent.runtime.RuntimeSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the OCI runtime configuration ({@code config.json}, OCI 1.0.2 as runc 1.1 reads it) for a
 * {@link RuntimeSpec}. The JSON tree is built by hand: no OCI library.
 *
 * <p>Every container gets: pid, mount, uts, ipc, cgroup and network namespaces (the network one
 * joined by path when the spec names one); root as uid 0 without a terminal; {@code /proc},
 * {@code /dev} (tmpfs), {@code /dev/pts}, {@code /dev/shm}, {@code /dev/mqueue}, {@code /sys}
 * (read-only sysfs) and {@code /sys/fs/cgroup}; the cgroup {@code /ferry/<id>}; limits from
 * {@link Limits} with swap off (memory+swap = memory); annotations telling runc which CRIU
 * configuration file to use and recording the console log.
 *
 * <p>{@link InitKind#SYSTEMD} adds the recipe measured on these hosts: {@code container=ferry} and
 * the legacy-cgroup kernel command line in the environment, a writable cgroup mount, tmpfs on
 * {@code /run} and {@code /tmp}, the capabilities systemd needs, {@code noNewPrivileges=false},
 * and a seccomp filter refusing {@code bpf} (BPF programs cannot be dumped by CRIU) and the
 * creation of nested UTS/IPC/PID/user/cgroup/time namespaces (CRIU cannot dump those; systemd
 * does without them when refused). {@link InitKind#GENERIC} gets the usual container capabilities,
 * a read-only cgroup mount, {@code noNewPrivileges=true} and no seccomp filter.
 *
 * <p>A configuration written for a restore of a container with its own network namespace also
 * has a prestart hook bringing its loopback up (see {@link OciDefaults#LOOPBACK_UP_HOOK}).
 *
 * <p>Stateless and thread-safe.
 */
final class OciSpecWriter {

  /** Annotation naming the CRIU configuration file runc passes to CRIU for this container. */
  static final String CRIU_CONFIG_ANNOTATION = "org.criu.config";

  /** Annotation recording the console log, so a later agent process knows it. */
  static final String CONSOLE_ANNOTATION = "io.ferry.console-log";

  static final String INIT_KIND_ANNOTATION = "io.ferry.init-kind";

  /** The default cgroup parent of every Ferry container, under each controller's hierarchy. */
  static final String CGROUP_PARENT = "/ferry";

  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final String cgroupParent;

  OciSpecWriter() {
    this(CGROUP_PARENT);
  }

  /**
   * @param cgroupParent the cgroup under which containers go ({@code /ferry}); agents sharing one
   *     machine (simulated hosts in tests) need one each, since a migrating container exists on
   *     both of them at once under the same name
   */
  OciSpecWriter(String cgroupParent) {
    this.cgroupParent = cgroupParent;
  }

  /** The cgroup of container {@code id} under the default parent, relative to each hierarchy's root. */
  static String cgroupPath(String id) {
    return CGROUP_PARENT + "/" + id;
  }

  /** The cgroup of container {@code id} under this writer's parent. */
  String cgroupPathOf(String id) {
    return cgroupParent + "/" + id;
  }

  /** What the configuration is for: restores need more than starts. */
  enum Purpose {
    START,
    /** Adds a prestart hook that brings up the loopback of a namespace CRIU restores empty. */
    RESTORE
  }

  /** Writes {@code bundle/config.json} atomically (a temporary file renamed into place). */
  void write(RuntimeSpec spec, Path bundle, Path criuConfig, Purpose purpose) throws IOException {
    Files.createDirectories(bundle);
    Path tmp = bundle.resolve("config.json.tmp");
    MAPPER.writeValue(tmp.toFile(), build(spec, criuConfig, purpose));
    Files.move(tmp, bundle.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** The configuration as a JSON tree. */
  ObjectNode build(RuntimeSpec spec, Path criuConfig, Purpose purpose) {
    boolean systemd = spec.initKind() == InitKind.SYSTEMD;
    ObjectNode config = MAPPER.createObjectNode();
    config.put("ociVersion", "1.0.2");
    config.set("process", process(spec, systemd));
    ObjectNode root = config.putObject("root");
    root.put("path", spec.rootfs().toString());
    root.put("readonly", false);
    config.put("hostname", spec.hostname());
    config.set("mounts", mounts(systemd));
    ObjectNode annotations = config.putObject("annotations");
    annotations.put(CRIU_CONFIG_ANNOTATION, criuConfig.toString());
    annotations.put(CONSOLE_ANNOTATION, spec.consoleLog().toString());
    annotations.put(INIT_KIND_ANNOTATION, spec.initKind().name());
    config.set("linux", linux(spec, systemd));
    if (purpose == Purpose.RESTORE && spec.networkNamespace().isEmpty()) {
      ObjectNode hook = config.putObject("hooks").putArray("prestart").addObject();
      hook.put("path", "/bin/sh");
      strings(hook.putArray("args"), OciDefaults.LOOPBACK_UP_HOOK);
      strings(hook.putArray("env"), List.of(OciDefaults.HOOK_PATH));
      hook.put("timeout", OciDefaults.HOOK_TIMEOUT_SECONDS);
    }
    return config;
  }

  private ObjectNode process(RuntimeSpec spec, boolean systemd) {
    ObjectNode process = MAPPER.createObjectNode();
    process.put("terminal", false);
    ObjectNode user = process.putObject("user");
    user.put("uid", 0);
    user.put("gid", 0);
    strings(process.putArray("args"), spec.args());
    strings(process.putArray("env"), environment(spec, systemd));
    process.put("cwd", "/");
    List<String> caps = new ArrayList<>(OciDefaults.GENERIC_CAPABILITIES);
    if (systemd) {
      caps.addAll(OciDefaults.SYSTEMD_EXTRA_CAPABILITIES);
    }
    caps.sort(String::compareTo);
    ObjectNode capabilities = process.putObject("capabilities");
    for (String set : List.of("bounding", "effective", "permitted")) {
      strings(capabilities.putArray(set), caps);
    }
    process.put("noNewPrivileges", !systemd);
    return process;
  }

  /** PATH, then (systemd) what systemd needs, then the spec's own variables, which win. */
  static List<String> environment(RuntimeSpec spec, boolean systemd) {
    Map<String, String> env = new LinkedHashMap<>();
    int eq = OciDefaults.PATH.indexOf('=');
    env.put(OciDefaults.PATH.substring(0, eq), OciDefaults.PATH.substring(eq + 1));
    if (systemd) {
      env.put("container", "ferry");
      env.put("SYSTEMD_PROC_CMDLINE", OciDefaults.SYSTEMD_PROC_CMDLINE);
    }
    env.putAll(spec.env());
    List<String> out = new ArrayList<>();
    env.forEach((k, v) -> out.add(k + "=" + v));
    return out;
  }

  private ArrayNode mounts(boolean systemd) {
    ArrayNode mounts = MAPPER.createArrayNode();
    mount(mounts, "/proc", "proc", "proc", "nosuid", "noexec", "nodev");
    mount(mounts, "/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
    mount(mounts, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5");
    mount(mounts, "/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k");
    mount(mounts, "/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
    mount(mounts, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
    // systemd creates its own sub-cgroups (init.scope, system.slice) inside its namespace.
    mount(mounts, "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", systemd ? "rw" : "ro");
    if (systemd) {
      mount(mounts, "/run", "tmpfs", "tmpfs", "nosuid", "nodev", "mode=755", "size=65536k");
      mount(mounts, "/tmp", "tmpfs", "tmpfs", "nosuid", "nodev", "mode=1777");
    }
    return mounts;
  }

  private ObjectNode linux(RuntimeSpec spec, boolean systemd) {
    ObjectNode linux = MAPPER.createObjectNode();
    linux.put("cgroupsPath", cgroupPathOf(spec.id()));
    ArrayNode namespaces = linux.putArray("namespaces");
    for (String type : List.of("pid", "mount", "uts", "ipc", "cgroup")) {
      namespaces.addObject().put("type", type);
    }
    ObjectNode net = namespaces.addObject().put("type", "network");
    spec.networkNamespace().ifPresent(path -> net.put("path", path.toString()));
    linux.set("resources", resources(spec.limits()));
    strings(linux.putArray("maskedPaths"), OciDefaults.MASKED_PATHS);
    strings(linux.putArray("readonlyPaths"), OciDefaults.READONLY_PATHS);
    if (systemd) {
      linux.set("seccomp", systemdSeccomp());
    }
    return linux;
  }

  private ObjectNode resources(Limits limits) {
    ObjectNode resources = MAPPER.createObjectNode();
    resources.putArray("devices").addObject().put("allow", false).put("access", "rwm");
    limits.memoryBytes().ifPresent(bytes -> resources.putObject("memory").put("limit", bytes).put("swap", bytes));
    if (limits.cpuShares().isPresent() || limits.cpuQuotaMicros().isPresent() || limits.cpuPeriodMicros().isPresent()) {
      ObjectNode cpu = resources.putObject("cpu");
      limits.cpuShares().ifPresent(v -> cpu.put("shares", v));
      limits.cpuQuotaMicros().ifPresent(v -> cpu.put("quota", v));
      limits.cpuPeriodMicros().ifPresent(v -> cpu.put("period", v));
    }
    limits.pidsMax().ifPresent(v -> resources.putObject("pids").put("limit", v));
    return resources;
  }

  private ObjectNode systemdSeccomp() {
    ObjectNode seccomp = MAPPER.createObjectNode();
    seccomp.put("defaultAction", "SCMP_ACT_ALLOW");
    List<String> archs = OciDefaults.seccompArchitectures();
    if (!archs.isEmpty()) {
      strings(seccomp.putArray("architectures"), archs);
    }
    ArrayNode rules = seccomp.putArray("syscalls");
    errno(rules, List.of("bpf"), OciDefaults.EPERM);
    // glibc falls back to clone(2), whose flags a filter can see; clone3 passes them in memory.
    errno(rules, List.of("clone3"), OciDefaults.ENOSYS);
    for (long flag : OciDefaults.NESTED_NAMESPACE_FLAGS) {
      ObjectNode rule = errno(rules, List.of("clone", "unshare"), OciDefaults.EPERM);
      maskedEq(rule, flag);
    }
    maskedEq(errno(rules, List.of("unshare"), OciDefaults.EPERM), OciDefaults.CLONE_NEWTIME);
    return seccomp;
  }

  private static ObjectNode errno(ArrayNode rules, List<String> names, int errno) {
    ObjectNode rule = rules.addObject();
    strings(rule.putArray("names"), names);
    rule.put("action", "SCMP_ACT_ERRNO");
    rule.put("errnoRet", errno);
    return rule;
  }

  private static void maskedEq(ObjectNode rule, long flag) {
    rule.putArray("args").addObject().put("index", 0).put("value", flag).put("valueTwo", flag).put("op", "SCMP_CMP_MASKED_EQ");
  }

  private static void mount(ArrayNode mounts, String destination, String type, String source, String... options) {
    ObjectNode mount = mounts.addObject();
    mount.put("destination", destination);
    mount.put("type", type);
    mount.put("source", source);
    strings(mount.putArray("options"), List.of(options));
  }

  private static void strings(ArrayNode array, List<String> values) {
    values.forEach(array::add);
  }
}
