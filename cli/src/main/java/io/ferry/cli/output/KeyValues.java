package io.ferry.cli.output;

import java.util.ArrayList;
import java.util.List;

/**
 * One object for people: {@code key:  value} lines, values aligned, empty values left out. Scripts
 * use {@code --output json} instead.
 */
public final class KeyValues {

  private final List<String[]> lines = new ArrayList<>();

  /** Adds a line unless {@code value} is null or prints as empty. */
  public KeyValues add(String key, Object value) {
    String text = value == null ? "" : value.toString();
    if (!text.isEmpty()) {
      lines.add(new String[] {key, text});
    }
    return this;
  }

  public String render() {
    int width = lines.stream().mapToInt(l -> l[0].length()).max().orElse(0) + 1;
    StringBuilder out = new StringBuilder();
    for (String[] l : lines) {
      out.append(l[0]).append(':').append(" ".repeat(width - l[0].length() + 1)).append(l[1]).append('\n');
    }
    return out.toString();
  }
}
