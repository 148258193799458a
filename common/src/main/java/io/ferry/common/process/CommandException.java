package io.ferry.common.process;

import java.util.List;

/**
 * An external command could not be started, timed out, or exited non-zero where success was
 * required. Carries the command line, its exit code (-1 when it never exited by itself) and the
 * tail of its stderr, so the error that reaches an operator says what the tool said.
 */
public final class CommandException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Exit code used when the command was killed on timeout or never started. */
  public static final int NO_EXIT_CODE = -1;

  private final List<String> argv;
  private final int exitCode;
  private final String stderr;
  private final boolean timedOut;

  CommandException(List<String> argv, int exitCode, String stderr, boolean timedOut, String message, Throwable cause) {
    super(message, cause);
    this.argv = List.copyOf(argv);
    this.exitCode = exitCode;
    this.stderr = stderr;
    this.timedOut = timedOut;
  }

  public List<String> argv() {
    return argv;
  }

  public int exitCode() {
    return exitCode;
  }

  public String stderr() {
    return stderr;
  }

  public boolean timedOut() {
    return timedOut;
  }
}
