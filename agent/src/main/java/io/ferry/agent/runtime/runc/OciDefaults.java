package io.ferry.agent.runtime.runc;

import java.util.List;
import java.util.Locale;

/**
 * The fixed parts of the OCI configuration Ferry writes: capability sets, masked paths and the
 * seccomp rules that keep a systemd container checkpointable. Values only; {@link OciSpecWriter}
 * assembles them.
 */
final class OciDefaults {

  private OciDefaults() {}

  static final String PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  /**
   * The usual container set (Docker's and containerd's default). CAP_SYS_RESOURCE is never granted:
   * hosts without it in their bounding set (Ferry's development machines) make runc fail with
   * "unable to apply caps".
   */
  static final List<String> GENERIC_CAPABILITIES =
      List.of(
          "CAP_AUDIT_WRITE",
          "CAP_CHOWN",
          "CAP_DAC_OVERRIDE",
          "CAP_FOWNER",
          "CAP_FSETID",
          "CAP_KILL",
          "CAP_MKNOD",
          "CAP_NET_BIND_SERVICE",
          "CAP_NET_RAW",
          "CAP_SETFCAP",
          "CAP_SETGID",
          "CAP_SETPCAP",
          "CAP_SETUID",
          "CAP_SYS_CHROOT");

  /**
   * What systemd as PID 1 and its services need on top: systemd-nspawn's default set (mounts,
   * namespaces for services, reboot, nice, ptrace, ...) plus CAP_NET_ADMIN for the container's own
   * network namespace. Still without CAP_SYS_RESOURCE.
   */
  static final List<String> SYSTEMD_EXTRA_CAPABILITIES =
      List.of(
          "CAP_AUDIT_CONTROL",
          "CAP_DAC_READ_SEARCH",
          "CAP_IPC_LOCK",
          "CAP_IPC_OWNER",
          "CAP_LEASE",
          "CAP_LINUX_IMMUTABLE",
          "CAP_NET_ADMIN",
          "CAP_NET_BROADCAST",
          "CAP_SYS_ADMIN",
          "CAP_SYS_BOOT",
          "CAP_SYS_NICE",
          "CAP_SYS_PTRACE",
          "CAP_SYS_TTY_CONFIG");

  static final List<String> MASKED_PATHS =
      List.of(
          "/proc/acpi",
          "/proc/asound",
          "/proc/kcore",
          "/proc/keys",
          "/proc/latency_stats",
          "/proc/timer_list",
          "/proc/timer_stats",
          "/proc/sched_debug",
          "/proc/scsi",
          "/sys/firmware");

  static final List<String> READONLY_PATHS =
      List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");

  /**
   * systemd reads its kernel command line from this variable inside a container: legacy cgroup
   * mode keeps it off the cgroup2 tree, which CRIU cannot restore its watches on
   * ("fsnotify: Unable to open .../cgroup.events").
   */
  static final String SYSTEMD_PROC_CMDLINE =
      "systemd.legacy_systemd_cgroup_controller=1 systemd.unified_cgroup_hierarchy=0";

  static final int EPERM = 1;
  static final int ENOSYS = 38;

  /**
   * Namespace flags whose creation a systemd container is refused (EPERM): CRIU can dump nested
   * mount and network namespaces only, and systemd's ProtectHostname= etc. fall back to doing
   * without when refused with EPERM. CLONE_NEWTIME (0x80) is refused for unshare only: for clone
   * those bits are the exit signal.
   */
  static final List<Long> NESTED_NAMESPACE_FLAGS =
      List.of(
          0x02000000L, // CLONE_NEWCGROUP
          0x04000000L, // CLONE_NEWUTS
          0x08000000L, // CLONE_NEWIPC
          0x10000000L, // CLONE_NEWUSER
          0x20000000L); // CLONE_NEWPID

  static final long CLONE_NEWTIME = 0x80L;

  /**
   * A prestart hook that brings the loopback device up in the container's network namespace
   * (runc passes the container's state, with init's pid, on stdin). Needed on restore only: runc
   * has CRIU restore a namespace runc created as an empty one ({@code --empty-ns network}), so
   * without it the restored container's loopback is down and its established TCP connections
   * cannot be restored ("Can't connect inet socket back: Network is unreachable"). runc runs
   * prestart hooks when CRIU has set up the namespaces, before sockets are restored.
   */
  static final List<String> LOOPBACK_UP_HOOK =
      List.of(
          "sh",
          "-c",
          "pid=$(sed -n 's/.*\"pid\":[[:space:]]*\\([0-9][0-9]*\\).*/\\1/p') && [ -n \"$pid\" ]"
              + " && exec nsenter --target \"$pid\" --net ip link set lo up");

  static final String HOOK_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  static final int HOOK_TIMEOUT_SECONDS = 10;

  /** The seccomp architectures of this JVM's machine; empty (native only) when unknown. */
  static List<String> seccompArchitectures() {
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    return switch (arch) {
      case "amd64", "x86_64" -> List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
      case "aarch64", "arm64" -> List.of("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM");
      default -> List.of();
    };
  }
}
