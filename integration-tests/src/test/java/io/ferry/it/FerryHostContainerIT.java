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
  private static final int CAP_CHECKPOINT_RESTORE = 40;

  @Test
  void runsFromALocalImageWithEveryCapabilityButSysResource() throws Exception {
    String image = LocalImages.dockerImage("busybox");

    try (FerryHostContainer host = new FerryHostContainer(image).withCommand("sleep", "3600")) {
      host.start();

      ExecResult status = host.execInContainer("cat", "/proc/self/status");
      assertThat(status.getExitCode()).isZero();
      BigInteger caps = effectiveCapabilities(status.getStdout());
      assertThat(caps.testBit(CAP_SYS_ADMIN)).as("CAP_SYS_ADMIN").isTrue();
      assertThat(caps.testBit(CAP_CHECKPOINT_RESTORE)).as("CAP_CHECKPOINT_RESTORE").isTrue();
      assertThat(caps.testBit(CAP_SYS_RESOURCE)).as("CAP_SYS_RESOURCE must be dropped").isFalse();

      ExecResult cgroups = host.execInContainer("cat", "/proc/self/mountinfo");
      assertThat(cgroups.getStdout()).contains("/sys/fs/cgroup/memory").contains("/sys/fs/cgroup/freezer");

      ExecResult mount = host.execInContainer("mount", "-t", "tmpfs", "tmpfs", "/mnt");
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
