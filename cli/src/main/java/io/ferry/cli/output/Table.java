package io.ferry.cli.output;

import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table for people: a header row in upper case, columns padded to their widest cell,
 * two spaces between columns, no trailing spaces. Scripts use {@code --output json} instead.
 */
public final class Table {

  private final List<String> headers;
  private final List<List<String>> rows = new ArrayList<>();

  public Table(String... headers) {
    this.headers = List.of(headers);
  }

  /** Adds a row; it must have one cell per header. Null cells print as empty. */
  public Table row(Object... cells) {
    if (cells.length != headers.size()) {
      throw new IllegalArgumentException("row has " + cells.length + " cells, table has " + headers.size() + " columns");
    }
    List<String> row = new ArrayList<>();
    for (Object cell : cells) {
      row.add(cell == null ? "" : cell.toString());
    }
    rows.add(row);
    return this;
  }

  public String render() {
    int[] widths = new int[headers.size()];
    for (int i = 0; i < widths.length; i++) {
      widths[i] = headers.get(i).length();
      for (List<String> row : rows) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    }
    StringBuilder out = new StringBuilder();
    appendRow(out, headers.stream().map(String::toUpperCase).toList(), widths);
    rows.forEach(row -> appendRow(out, row, widths));
    return out.toString();
  }

  private static void appendRow(StringBuilder out, List<String> cells, int[] widths) {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < cells.size(); i++) {
      if (i > 0) {
        line.append("  ");
      }
      line.append(cells.get(i)).append(" ".repeat(widths[i] - cells.get(i).length()));
    }
    out.append(line.toString().stripTrailing()).append('\n');
  }
}
