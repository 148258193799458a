package io.ferry.agent.runtime.runc;

import io.ferry.agent.AgentException.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns what runc (and CRIU through it) printed on failure into an error {@link Kind} and a
 * readable message. Pure functions; the texts are those of runc 1.1.
 */
final class RuncErrors {

  /** logrus text format: {@code time="..." level=error msg="..."}; msg may hold escaped quotes. */
  private static final Pattern LOGRUS_MSG = Pattern.compile("msg=\"((?:[^\"\\\\]|\\\\.)*)\"");

  private static final Pattern JSON_MSG = Pattern.compile("\"msg\":\"((?:[^\"\\\\]|\\\\.)*)\"");

  private static final List<String> ALREADY_EXISTS =
      List.of("container with given id already exists", "id already in use", "already exists");

  private static final List<String> WRONG_STATE =
      List.of(
          "container not running",
          "container not paused",
          "cannot exec in a paused container",
          "cannot exec in a stopped container",
          "cannot exec in a created container",
          "that is not stopped",
          "cannot be checkpointed in",
          "container is paused",
          "container is not running",
          "cannot start an already running container");

  /** The kernel refused a cgroup value: EBUSY (memory below usage), EINVAL, or runc's own words. */
  private static final List<String> REFUSED_LIMIT =
      List.of("device or resource busy", "unable to set memory limit", "invalid argument", "out of range");

  private static final List<String> BAD_EXEC =
      List.of("executable file not found", "no such file or directory", "permission denied", "exec format error");

  private RuncErrors() {}

  /** The kind of failure {@code op} reported with {@code stderr}. */
  static Kind classify(RuncOp op, String stderr) {
    String text = stderr.toLowerCase(Locale.ROOT);
    if (text.contains("container does not exist")) {
      return Kind.NOT_FOUND;
    }
    if ((op == RuncOp.START || op == RuncOp.RESTORE) && ALREADY_EXISTS.stream().anyMatch(text::contains)) {
      return Kind.ALREADY_EXISTS;
    }
    if (WRONG_STATE.stream().anyMatch(text::contains)) {
      return Kind.FAILED_PRECONDITION;
    }
    if (op == RuncOp.UPDATE && REFUSED_LIMIT.stream().anyMatch(text::contains)) {
      return Kind.INVALID_ARGUMENT;
    }
    // The program to run (exec's command, or init on start) cannot be found or executed.
    boolean badProgram = (op == RuncOp.EXEC && text.contains("exec failed"))
        || (op == RuncOp.START && text.contains("unable to start container process: exec:"));
    if (badProgram && BAD_EXEC.stream().anyMatch(text::contains)) {
      return Kind.INVALID_ARGUMENT;
    }
    return Kind.INTERNAL;
  }

  /**
   * The messages of runc's error lines ({@code msg="..."}), unescaped, one per line; the text
   * itself, trimmed, when it holds no logrus line. JSON log lines ({@code "msg":"..."}) are
   * handled too.
   */
  static String messages(String stderr) {
    List<String> found = new ArrayList<>();
    for (String line : stderr.split("\n")) {
      Matcher m = LOGRUS_MSG.matcher(line);
      if (m.find()) {
        found.add(unescape(m.group(1)));
        continue;
      }
      Matcher jm = JSON_MSG.matcher(line);
      if (jm.find()) {
        found.add(unescape(jm.group(1)));
      } else if (!line.isBlank() && found.isEmpty()) {
        found.add(line.strip());
      }
    }
    return String.join("\n", found.stream().distinct().toList()).strip();
  }

  private static String unescape(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        char next = s.charAt(++i);
        switch (next) {
          case 'n' -> out.append('\n');
          case 't' -> out.append('\t');
          default -> out.append(next);
        }
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
