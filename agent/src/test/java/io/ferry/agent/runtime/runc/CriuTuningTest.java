package io.ferry.agent.runtime.runc;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.common.process.Command;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CriuTuningTest {

  @TempDir Path dir;

  /** Run as root, the tuning mounts a tmpfs on the cache directory: unmounted so the temp dir can go. */
  @AfterEach
  void unmountCaches() {
    Command.of("sh", "-c", "grep -o ' " + dir + "/[^ ]* tmpfs ' /proc/self/mounts | cut -d' ' -f2 | xargs -r -n1 umount").run();
  }

  @Test
  void dumpsLockTheNetworkWithNftablesOnlyWhenTheHostProbeFoundTheFeature() {
    Path cache = dir.resolve("cache");
    assertThat(new CriuTuning(true, cache).dumpConfigLines()).containsExactly("network-lock nftables");
    assertThat(new CriuTuning(false, cache).dumpConfigLines()).as("CRIU's default then").isEmpty();
  }

  @Test
  void theKernelFactsCacheDirectoryBecomesATmpfsWhereMountingIsAllowed() throws Exception {
    Path cache = dir.resolve("kdat");
    boolean alreadyTmpfs = CriuTuning.isTmpfs(dir); // a /tmp that is a tmpfs needs no mount
    boolean root = "root".equals(System.getProperty("user.name"));
    new CriuTuning(false, cache);
    assertThat(cache).isDirectory();
    try {
      assertThat(CriuTuning.isTmpfs(cache)).as("a tmpfs when running as root, left alone otherwise")
          .isEqualTo(root || alreadyTmpfs);
      new CriuTuning(false, cache);
      String mounts = Command.of("sh", "-c", "grep -c ' " + cache + " tmpfs ' /proc/self/mounts").run().stdout().strip();
      assertThat(mounts).as("mounted only when needed, and once").isEqualTo(root && !alreadyTmpfs ? "1" : "0");
    } finally {
      unmountCaches();
    }
  }
}
