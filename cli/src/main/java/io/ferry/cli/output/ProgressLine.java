package io.ferry.cli.output;

import java.io.PrintWriter;

/**
 * One line of progress on stderr, rewritten in place with {@code \r}. Silent when disabled (stderr
 * is a file or a pipe), so logs and scripts see no noise. Not thread-safe: one writer at a time.
 */
public final class ProgressLine {

  private static final int BAR_WIDTH = 20;

  private final PrintWriter err;
  private final boolean enabled;
  private String shown = "";

  public ProgressLine(PrintWriter err, boolean enabled) {
    this.err = err;
    this.enabled = enabled;
  }

  /** Replaces the line with {@code text} (unchanged text is not redrawn). */
  public void show(String text) {
    if (!enabled || text.equals(shown)) {
      return;
    }
    String pad = " ".repeat(Math.max(0, shown.length() - text.length()));
    err.print("\r" + text + pad);
    err.flush();
    shown = text;
  }

  /** Erases the line, leaving the cursor where it started. */
  public void clear() {
    if (!enabled || shown.isEmpty()) {
      return;
    }
    err.print("\r" + " ".repeat(shown.length()) + "\r");
    err.flush();
    shown = "";
  }

  /** {@code [#########...........]  45%}. */
  public static String bar(int percent) {
    int p = Math.max(0, Math.min(100, percent));
    int filled = p * BAR_WIDTH / 100;
    return "[" + "#".repeat(filled) + ".".repeat(BAR_WIDTH - filled) + "] " + String.format("%3d%%", p);
  }
}
