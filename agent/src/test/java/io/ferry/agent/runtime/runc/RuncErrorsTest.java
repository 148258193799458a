package io.ferry.agent.runtime.runc;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.AgentException.Kind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Error texts as runc 1.1.5 printed them on this host. */
class RuncErrorsTest {

  @ParameterizedTest(name = "{0}: {1} -> {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "STATE      | time=\"2026-11-29T21:27:16Z\" level=error msg=\"container does not exist\" | NOT_FOUND",
        "EXEC       | time=\"2026-11-29T21:27:16Z\" level=error msg=\"exec failed: container does not exist\" | NOT_FOUND",
        "KILL       | time=\"2026-11-29T21:27:21Z\" level=error msg=\"container not running\" | FAILED_PRECONDITION",
        "RESUME     | time=\"2026-11-29T21:27:20Z\" level=error msg=\"container not paused\" | FAILED_PRECONDITION",
        "EXEC       | level=error msg=\"exec failed: cannot exec in a paused container (use --ignore-paused to override)\" | FAILED_PRECONDITION",
        "DELETE     | level=error msg=\"cannot delete container c1 that is not stopped: running\" | FAILED_PRECONDITION",
        "CHECKPOINT | level=error msg=\"Container cannot be checkpointed in stopped state\" | FAILED_PRECONDITION",
        "START      | time=\"2026-11-29T21:28:08Z\" level=error msg=\"container with given ID already exists\" | ALREADY_EXISTS",
        "RESTORE    | level=error msg=\"container with given ID already exists\" | ALREADY_EXISTS",
        "UPDATE     | level=error msg=\"unable to set memory limit to 8388608 (current usage: 26120192, peak usage: 26558464)\" | INVALID_ARGUMENT",
        "UPDATE     | level=error msg=\"failed to write 1048576: write /sys/fs/cgroup/memory/ferry/x/memory.limit_in_bytes: device or resource busy\" | INVALID_ARGUMENT",
        "EXEC       | {\"level\":\"error\",\"msg\":\"exec failed: unable to start container process: exec: \\\"nosuchcmd\\\": executable file not found in $PATH\"} | INVALID_ARGUMENT",
        "START      | level=error msg=\"runc run failed: unable to start container process: exec: \\\"/nope\\\": stat /nope: no such file or directory\" | INVALID_ARGUMENT",
        "CHECKPOINT | level=error msg=\"criu failed: type NOTIFY errno 0\\nlog file: /w/dump.log\" | INTERNAL",
        "START      | level=error msg=\"runc run failed: unable to start container process: error during container init: unable to apply caps: operation not permitted\" | INTERNAL",
      })
  void classifies(RuncOp op, String stderr, Kind expected) {
    assertThat(RuncErrors.classify(op, stderr)).isEqualTo(expected);
  }

  @Test
  void kernelRefusalsAreInvalidOnlyForUpdates() {
    String busy = "level=error msg=\"write memory.limit_in_bytes: device or resource busy\"";
    assertThat(RuncErrors.classify(RuncOp.UPDATE, busy)).isEqualTo(Kind.INVALID_ARGUMENT);
    assertThat(RuncErrors.classify(RuncOp.START, busy)).isEqualTo(Kind.INTERNAL);
  }

  @Test
  void extractsMessagesFromLogrusAndJsonLines() {
    String stderr =
        "time=\"2026-11-29T21:25:26Z\" level=error msg=\"container still running\"\n"
            + "time=\"2026-11-29T21:25:26Z\" level=error msg=\"criu failed: type NOTIFY errno 0\\nlog file: work/dump.log\"\n";
    assertThat(RuncErrors.messages(stderr))
        .isEqualTo("container still running\ncriu failed: type NOTIFY errno 0\nlog file: work/dump.log");
    assertThat(RuncErrors.messages("{\"level\":\"error\",\"msg\":\"exec: \\\"x\\\": not found\",\"time\":\"t\"}"))
        .isEqualTo("exec: \"x\": not found");
    assertThat(RuncErrors.messages("  plain words \n")).isEqualTo("plain words");
    assertThat(RuncErrors.messages("")).isEmpty();
  }
}
