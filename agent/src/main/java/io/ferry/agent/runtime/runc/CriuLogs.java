package io.ferry.agent.runtime.runc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Picks what a person needs from a CRIU log after a failed dump or restore: its error lines (the
 * harmless ones every run prints left out) and its last lines.
 */
final class CriuLogs {

  /** Printed by every CRIU run on a host without CAP_SYS_RESOURCE; says nothing about the failure. */
  private static final List<String> HARMLESS = List.of("Can't setup RLIMIT_NOFILE", "tun: Unable to create tun");

  static final int MAX_ERRORS = 12;
  static final int LAST_LINES = 3;

  private CriuLogs() {}

  /** The excerpt of {@code log}'s text: error lines then the last lines, each once. */
  static String excerpt(String log) {
    String[] lines = log.split("\n");
    List<String> errors = new ArrayList<>();
    for (String line : lines) {
      if (line.contains("Error") && HARMLESS.stream().noneMatch(line::contains)) {
        errors.add(line.strip());
      }
    }
    Set<String> shown = new LinkedHashSet<>(errors.subList(Math.max(0, errors.size() - MAX_ERRORS), errors.size()));
    for (int i = Math.max(0, lines.length - LAST_LINES); i < lines.length; i++) {
      if (!lines[i].isBlank()) {
        shown.add(lines[i].strip());
      }
    }
    return String.join("\n", shown);
  }

  /**
   * "; CRIU log FILE:" and the excerpt of that log, for an error message; a note when there is no
   * log (CRIU did not get as far as writing one).
   */
  static String describe(Path log) {
    try {
      if (!Files.exists(log)) {
        return "; no CRIU log at " + log;
      }
      return "; CRIU log " + log + ":\n" + excerpt(Files.readString(log));
    } catch (IOException e) {
      return "; cannot read CRIU log " + log + ": " + e.getMessage();
    }
  }
}
