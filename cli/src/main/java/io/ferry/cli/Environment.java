package io.ferry.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * What the CLI reads from the process it runs in, injected so tests choose it: environment
 * variables (e.g. {@code FERRY_COORDINATOR}) and whether stderr is a terminal (progress lines are
 * drawn only for people watching, never into a log file or a pipe).
 */
public record Environment(Map<String, String> variables, boolean stderrIsTerminal) {

  public Environment {
    variables = Map.copyOf(variables);
  }

  /** This process's environment. */
  public static Environment system() {
    return new Environment(System.getenv(), stderrIsTerminal(System.getenv("TERM")));
  }

  /** No variables, not a terminal: what scripts and tests see. */
  public static Environment plain() {
    return new Environment(Map.of(), false);
  }

  /** Linux: fd 2 links to a tty device; elsewhere fall back to the JDK's console check. */
  private static boolean stderrIsTerminal(String term) {
    if ("dumb".equals(term)) {
      return false;
    }
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (IOException | UnsupportedOperationException e) {
      return System.console() != null;
    }
  }
}
