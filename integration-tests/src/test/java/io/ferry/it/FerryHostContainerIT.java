package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.Container.ExecResult;

/**
 * The building block of the multi-host harness: a Docker container from a locally imported image
 * (no registry) with the capability set that lets runc and CRIU work inside.
 */
class FerryHostContainerIT {

  private static final int CAP_SYS_ADMIN = 21;
  private static final int CAP_SYS_RESOURCE = 24;
  private static final int CAP_SYS_PTRACE = 19;
  private static final int CAP_NET_ADMIN = 12;

  @Test
  void runsFromALocalImageWithEveryCapabilityButSysResource() throws Exception {
    String image = LocalImages.dockerImage("busybox");

    try (FerryHostContainer host = new FerryHostContainer(image).withCommand("sleep", "3600")) {
      host.start();

      ExecResult status = host.execInContainer("cat", "/proc/self/status");
      assertThat(status.getExitCode()).isZero();
      BigInteger caps = effectiveCapabilities(status.getStdout());
      assertThat(caps.testBit(CAP_SYS_ADMIN)).as("CAP_SYS_ADMIN").isTrue();
      // What CRIU and runc need (this engine's "ALL" predates CAP_CHECKPOINT_RESTORE; SYS_ADMIN covers it).
      assertThat(caps.testBit(CAP_SYS_PTRACE)).as("CAP_SYS_PTRACE").isTrue();
      assertThat(caps.testBit(CAP_NET_ADMIN)).as("CAP_NET_ADMIN").isTrue();
      assertThat(caps.testBit(CAP_SYS_RESOURCE)).as("CAP_SYS_RESOURCE must be dropped").isFalse();

      ExecResult cgroups = host.execInContainer("cat", "/proc/self/mountinfo");
      assertThat(cgroups.getStdout()).contains("/sys/fs/cgroup/memory").contains("/sys/fs/cgroup/freezer");

      ExecResult nsLastPid = host.execInContainer("sh", "-c", "echo 300 > /proc/sys/kernel/ns_last_pid");
      assertThat(nsLastPid.getExitCode()).as("/proc/sys writable: %s", nsLastPid.getStderr()).isZero();

      ExecResult mount = host.execInContainer("sh", "-c", "mkdir -p /mnt/t && mount -t tmpfs tmpfs /mnt/t");
      assertThat(mount.getExitCode()).as("mount inside the host container: %s", mount.getStderr()).isZero();
    }
  }

  private static BigInteger effectiveCapabilities(String procStatus) {
    return procStatus
        .lines()
        .filter(l -> l.startsWith("CapEff:"))
        .map(l -> new BigInteger(l.substring("CapEff:".length()).strip(), 16))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no CapEff in /proc/self/status"));
  }
}
