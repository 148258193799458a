package io.ferry.common.process;

import java.time.Duration;
import java.util.List;

/** What an external command did: its exit code and captured output. */
public record CommandResult(
    List<String> argv, int exitCode, String stdout, String stderr, Duration elapsed) {

  public CommandResult {
    argv = List.copyOf(argv);
  }

  public boolean succeeded() {
    return exitCode == 0;
  }

  /** Stdout and stderr together, trimmed: what a person wants to see of a failure. */
  public String output() {
    String out = stdout.strip();
    String err = stderr.strip();
    if (out.isEmpty()) {
      return err;
    }
    return err.isEmpty() ? out : out + "\n" + err;
  }
}
