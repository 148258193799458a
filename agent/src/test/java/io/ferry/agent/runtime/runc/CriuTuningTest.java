package io.ferry.agent.runtime.runc;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.common.process.Command;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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

  /** A stand-in for {@code criu}: {@code check --feature F} succeeds only for {@code supported}. */
  private Path fakeCriu(String supported) throws Exception {
    Path script = dir.resolve("criu-" + supported);
    Files.writeString(script, "#!/bin/sh\n[ \"$1 $2 $3\" = \"check --feature " + supported + "\" ] && exit 0\nexit 1\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    return script;
  }

  @Test
  void dumpsLockTheNetworkWithNftablesOnlyWhenCriuHasTheFeature() throws Exception {
    Path cache = dir.resolve("cache");
    assertThat(new CriuTuning(fakeCriu("network_lock_nftables"), cache).dumpConfigLines())
        .containsExactly("network-lock nftables");
    assertThat(new CriuTuning(fakeCriu("uffd"), cache).dumpConfigLines()).isEmpty();
    assertThat(new CriuTuning(dir.resolve("no-such-criu"), cache).dumpConfigLines()).isEmpty();
  }

  @Test
  void theKernelFactsCacheDirectoryBecomesATmpfsWhereMountingIsAllowed() throws Exception {
    Path cache = dir.resolve("kdat");
    boolean alreadyTmpfs = CriuTuning.isTmpfs(dir); // a /tmp that is a tmpfs needs no mount
    boolean root = "root".equals(System.getProperty("user.name"));
    new CriuTuning(fakeCriu("none"), cache).dumpConfigLines(); // waits for the preparation
    assertThat(cache).isDirectory();
    try {
      assertThat(CriuTuning.isTmpfs(cache)).as("a tmpfs when running as root, left alone otherwise")
          .isEqualTo(root || alreadyTmpfs);
      new CriuTuning(fakeCriu("none"), cache).dumpConfigLines();
      String mounts = Command.of("sh", "-c", "grep -c ' " + cache + " tmpfs ' /proc/self/mounts").run().stdout().strip();
      assertThat(mounts).as("mounted only when needed, and once").isEqualTo(root && !alreadyTmpfs ? "1" : "0");
    } finally {
      unmountCaches();
    }
  }
}
