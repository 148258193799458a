package io.ferry.agent.runtime.runc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CriuLogsTest {

  /** The end of a real failed dump on this host (a systemd service in its own UTS namespace). */
  private static final String DUMP_LOG =
      """
      (00.056116) Error (criu/util.c:1534): rlimit: Can't setup RLIMIT_NOFILE for self: Operation not permitted
      (00.058000) Seizing 2665
      (00.058721) Error (criu/namespaces.c:460): Can't dump nested uts namespace for 2665
      (00.058724) Error (criu/namespaces.c:721): Can't make utsns id
      (00.099700) Unfreezing tasks into 1
      (00.099747) Error (criu/cr-dump.c:1975): Dumping FAILED.
      """;

  @Test
  void keepsErrorsWithoutTheHarmlessOnesAndTheLastLines() {
    String excerpt = CriuLogs.excerpt(DUMP_LOG);
    assertThat(excerpt)
        .contains("Can't dump nested uts namespace for 2665", "Can't make utsns id", "Dumping FAILED.", "Unfreezing tasks")
        .doesNotContain("RLIMIT_NOFILE", "Seizing");
    assertThat(excerpt.lines().filter(l -> l.contains("Dumping FAILED")).count()).isEqualTo(1);
    assertThat(excerpt).contains("Hint: a process in the container created a namespace CRIU cannot dump");
  }

  @Test
  void explainsTheRlimitFailureOfHostsWithoutCapSysResource() {
    String log = "(00.250840) Error (criu/cr-dump.c:389): Can't get rlimit 0: Operation not permitted\n"
        + "(00.250845) Error (criu/cr-dump.c:1584): Dump core (pid: 8814) failed with -1\n";
    assertThat(CriuLogs.excerpt(log)).contains("Can't get rlimit 0", "Hint:", "CAP_SYS_RESOURCE", "/proc/PID/limits");
  }

  @Test
  void describesTheLogFileOrItsAbsence(@TempDir Path dir) throws Exception {
    Path log = Files.writeString(dir.resolve("dump.log"), DUMP_LOG);
    assertThat(CriuLogs.describe(log)).startsWith("; CRIU log " + log + ":\n").contains("nested uts");
    assertThat(CriuLogs.describe(dir.resolve("restore.log"))).contains("no CRIU log");
  }
}
