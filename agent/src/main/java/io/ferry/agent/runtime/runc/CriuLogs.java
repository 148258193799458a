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

  /** Known causes, recognised by what CRIU logs, and what to do about them. */
  private static final List<String[]> HINTS =
      List.of(
          new String[] {
            "Can't get rlimit",
            "CRIU reads each process's resource limits with prlimit(), which a process running as another user"
                + " (e.g. dbus as messagebus) refuses unless CRIU has CAP_SYS_RESOURCE, which this host lacks;"
                + " use a CRIU that falls back to /proc/PID/limits (deploy/criu/criu-rlimits-from-proc.patch)"
          },
          new String[] {
            "Can't dump nested",
            "a process in the container created a namespace CRIU cannot dump (only mount and network namespaces"
                + " may be nested); SYSTEMD containers refuse such namespaces through seccomp, GENERIC ones do not"
          },
          new String[] {
            "Can't lookup mount",
            "a process holds a file opened outside the container (a host descriptor leaked in, e.g. by nsenter)"
          },
          new String[] {
            "unsupported",
            "a mount of a filesystem type CRIU does not dump by default: add 'enable-fs TYPE' to /etc/criu/runc.conf"
          });

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
    for (String[] hint : HINTS) {
      if (errors.stream().anyMatch(e -> e.contains(hint[0]))) {
        shown.add("Hint: " + hint[1]);
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
