package io.ferry.agent.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.common.process.CommandResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostProbeTest {

  @Test
  void parsesRuncAndCriuVersions() {
    String runc = "runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\ngo: go1.19.8\n";
    assertThat(HostProbe.parseRuncVersion(runc)).isEqualTo("1.1.5+ds1");
    assertThat(HostProbe.parseCriuVersion("Version: 4.2.1\n")).isEqualTo("4.2.1");
    assertThat(HostProbe.parseCriuVersion("Version: 4.2.1\nGitID: v4.2.1\n")).isEqualTo("4.2.1");
    assertThat(HostProbe.parseRuncVersion("garbage")).isEmpty();
  }

  @Test
  void criuCheckPassesOnlyOnLooksGoodAndExitZero() {
    assertThat(HostProbe.checkPassed(result(0, "Warn (criu/kerndat.c): x\nLooks good.\n"))).isTrue();
    assertThat(HostProbe.checkPassed(result(1, "Looks good.\n"))).isFalse();
    assertThat(HostProbe.checkPassed(result(0, "Error (criu/vdso.c): Unexpected rt vDSO area bounds\n"))).isFalse();
  }

  @Test
  void readsMemTotalInBytes() {
    assertThat(HostProbe.parseMemTotal("MemTotal:       24573012 kB\nMemFree: 1 kB\n"))
        .isEqualTo(24573012L * 1024);
    assertThatThrownBy(() -> HostProbe.parseMemTotal("nothing")).hasMessageContaining("MemTotal");
  }

  @Test
  void reportsAMissingCriuInsteadOfFailing(@TempDir Path dir) {
    HostFacts facts =
        new HostProbe(Path.of("/nonexistent/runc"), Path.of("/nonexistent/criu"), dir.resolve("state"))
            .probe("host-1", "test");

    assertThat(facts.criu().available()).isFalse();
    assertThat(facts.criu().detail()).contains("/nonexistent/criu");
    assertThat(facts.runtime().version()).isEmpty();
    assertThat(facts.capacity().cpuCores()).isPositive();
    assertThat(facts.capacity().memoryBytes()).isPositive();
    assertThat(facts.capacity().diskBytes()).isGreaterThanOrEqualTo(facts.capacity().diskFreeBytes()).isPositive();
  }

  private static CommandResult result(int exit, String stderr) {
    return new CommandResult(List.of("criu", "check"), exit, "", stderr, Duration.ZERO);
  }
}
