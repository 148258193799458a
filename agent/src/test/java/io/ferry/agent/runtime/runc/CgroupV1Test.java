package io.ferry.agent.runtime.runc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.agent.AgentException;
import io.ferry.agent.runtime.Limits;
import io.ferry.agent.runtime.ResourceUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CgroupV1Test {

  /** This host's layout (hybrid: v1 controllers, cgroup2 at unified). */
  private static final String HOST_MOUNTINFO =
      """
      22 1 254:0 / / rw,relatime - ext4 /dev/vda rw
      31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
      32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
      33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
      35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
      39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
      40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
      41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
      """;

  @Test
  void findsEachControllersHierarchy() {
    CgroupV1 cgroups = CgroupV1.fromMountinfo(HOST_MOUNTINFO);
    assertThat(cgroups.dir("memory", "/ferry/c1")).contains(Path.of("/sys/fs/cgroup/memory/ferry/c1"));
    assertThat(cgroups.dir("cpuacct", "/ferry/c1")).contains(Path.of("/sys/fs/cgroup/cpuacct/ferry/c1"));
    assertThat(cgroups.dir("name=systemd", "/ferry/c1")).contains(Path.of("/sys/fs/cgroup/systemd/ferry/c1"));
    assertThat(cgroups.dir("blkio", "/ferry/c1")).isEmpty();
  }

  @Test
  void handlesMergedControllersAndNamespacedRoots() {
    String mountinfo =
        "50 31 0:40 /agent /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct\n"
            + "51 31 0:41 / /mnt/with\\040space rw - cgroup cgroup rw,memory\n";
    CgroupV1 cgroups = CgroupV1.fromMountinfo(mountinfo);
    assertThat(cgroups.dir("cpu", "/agent/ferry/c1")).contains(Path.of("/sys/fs/cgroup/cpu,cpuacct/ferry/c1"));
    assertThat(cgroups.dir("cpuacct", "/ferry/c1")).contains(Path.of("/sys/fs/cgroup/cpu,cpuacct/ferry/c1"));
    assertThat(cgroups.dir("memory", "/ferry/c1")).contains(Path.of("/mnt/with space/ferry/c1"));
  }

  @Test
  void parsesKernelSentinels() {
    assertThat(CgroupV1.memoryLimit("9223372036854771712\n")).isEmpty();
    assertThat(CgroupV1.memoryLimit("9223372036854710272")).isEmpty(); // 64 KiB pages
    assertThat(CgroupV1.memoryLimit("67108864\n")).hasValue(64L << 20);
    assertThat(CgroupV1.pidsMax("max\n")).isEmpty();
    assertThat(CgroupV1.pidsMax("100\n")).hasValue(100);
    assertThat(CgroupV1.quota("-1\n")).isEmpty();
    assertThat(CgroupV1.quota("50000\n")).hasValue(50_000);
    assertThatThrownBy(() -> CgroupV1.number("lots"))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(AgentException.Kind.INTERNAL));
  }

  @Test
  void readsLimitsUsageAndProcessesFromFiles(@TempDir Path root) throws Exception {
    Path memory = write(root, "memory/ferry/c1", "memory.limit_in_bytes", "67108864\n");
    write(root, "memory/ferry/c1", "memory.memsw.limit_in_bytes", "67108864\n");
    write(root, "memory/ferry/c1", "memory.usage_in_bytes", "1234567\n");
    write(root, "memory/ferry/c1", "memory.max_usage_in_bytes", "2345678\n");
    write(root, "cpu/ferry/c1", "cpu.shares", "512\n");
    write(root, "cpu/ferry/c1", "cpu.cfs_quota_us", "-1\n");
    write(root, "cpu/ferry/c1", "cpu.cfs_period_us", "100000\n");
    write(root, "cpuacct/ferry/c1", "cpuacct.usage", "987654321\n");
    write(root, "pids/ferry/c1", "pids.max", "max\n");
    write(root, "pids/ferry/c1", "pids.current", "3\n");
    write(root, "pids/ferry/c1", "cgroup.procs", "10\n11\n");
    write(root, "pids/ferry/c1/system.slice", "cgroup.procs", "12\n");
    String mountinfo = String.join("\n",
        "1 0 0:1 / " + root.resolve("memory") + " rw - cgroup cgroup rw,memory",
        "2 0 0:2 / " + root.resolve("cpu") + " rw - cgroup cgroup rw,cpu",
        "3 0 0:3 / " + root.resolve("cpuacct") + " rw - cgroup cgroup rw,cpuacct",
        "4 0 0:4 / " + root.resolve("pids") + " rw - cgroup cgroup rw,pids");
    CgroupV1 cgroups = CgroupV1.fromMountinfo(mountinfo);

    assertThat(cgroups.readLimits("/ferry/c1"))
        .isEqualTo(new Limits(OptionalLong.of(512), OptionalLong.empty(), OptionalLong.of(100_000),
            OptionalLong.of(64L << 20), OptionalLong.empty()));
    assertThat(cgroups.usage("/ferry/c1")).isEqualTo(new ResourceUsage(1234567, 2345678, 3, 987654321));
    assertThat(cgroups.processes("/ferry/c1")).containsExactlyInAnyOrder(10, 11, 12);
    assertThat(memory).exists();
    assertThatThrownBy(() -> cgroups.readLimits("/ferry/absent"))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(AgentException.Kind.NOT_FOUND));
  }

  private static Path write(Path root, String dir, String file, String content) throws Exception {
    Path d = Files.createDirectories(root.resolve(dir));
    return Files.writeString(d.resolve(file), content);
  }
}
