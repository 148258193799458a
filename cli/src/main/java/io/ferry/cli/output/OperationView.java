package io.ferry.cli.output;

import io.ferry.proto.v1.MigrationProgress;
import io.ferry.proto.v1.MigrationResult;
import io.ferry.proto.v1.Operation;
import java.util.List;

/** Operations for people: the list, one operation, one line of progress. */
public final class OperationView {

  private static final String STATE = "OPERATION_STATE_";

  private OperationView() {}

  public static String table(List<Operation> operations) {
    Table table = new Table("id", "kind", "target", "state", "phase", "progress", "created", "error");
    for (Operation o : operations) {
      table.row(o.getId(), o.getKind(), o.getTarget(), state(o), o.getPhase(), percent(o), Cells.time(o.getCreatedAt()), o.getError());
    }
    return table.render();
  }

  public static String details(Operation o) {
    return new KeyValues()
        .add("id", o.getId())
        .add("description", o.getDescription())
        .add("kind", o.getKind())
        .add("target", o.getTarget())
        .add("state", state(o))
        .add("phase", o.getPhase())
        .add("progress", percent(o))
        .add("error", o.getError())
        .add("created", Cells.time(o.getCreatedAt()))
        .add("updated", Cells.time(o.getUpdatedAt()))
        .render();
  }

  /** One line per update, for {@code operation watch}: {@code time  STATE  phase  45%}. */
  public static String line(Operation o) {
    StringBuilder line = new StringBuilder();
    String at = Cells.time(o.getUpdatedAt());
    if (!at.isEmpty()) {
      line.append(at).append("  ");
    }
    line.append(state(o));
    if (!o.getPhase().isEmpty()) {
      line.append("  ").append(o.getPhase());
    }
    if (o.getProgressPercent() > 0) {
      line.append("  ").append(percent(o));
    }
    if (!o.getError().isEmpty()) {
      line.append("  ").append(o.getError());
    }
    return line.append('\n').toString();
  }

  /** What a progress line on a terminal shows: {@code launch web-1 [####......]  40% creating}. */
  public static String progress(Operation o) {
    String what = o.getDescription().isEmpty() ? (o.getKind() + " " + o.getTarget()).trim() : o.getDescription();
    StringBuilder text = new StringBuilder(what);
    if (o.getProgressPercent() > 0) {
      text.append(' ').append(ProgressLine.bar((int) o.getProgressPercent()));
    }
    if (!o.getPhase().isEmpty()) {
      text.append(' ').append(o.getPhase());
    }
    if (o.hasMigration()) {
      MigrationProgress m = o.getMigration();
      if (m.getBytesPerSecond() > 0) {
        text.append(' ').append(Cells.bytes(m.getBytesPerSecond(), false)).append("/s");
      }
      if (m.getEtaSeconds() > 0) {
        text.append(" ETA ").append(m.getEtaSeconds()).append(" s");
      }
    }
    return text.toString();
  }

  /**
   * A finished migration's result for people: "live, 1.42 s, frozen 231 ms, memory 12.0 MiB,
   * rootfs 3.1 MiB", with the fallback reason when the mode used is not the one asked for.
   */
  public static String migrationResult(MigrationResult r) {
    StringBuilder text = new StringBuilder(
        Cells.name(r.getModeUsed(), "MIGRATION_MODE_").toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
    text.append(String.format(java.util.Locale.ROOT, ", %.2f s, frozen %d ms", r.getTotalMillis() / 1000.0, r.getFrozenMillis()));
    text.append(", memory ").append(Cells.bytes(r.getMemoryBytes(), false));
    text.append(", rootfs ").append(Cells.bytes(r.getRootfsBytes(), false));
    if (!r.getFallbackReason().isEmpty()) {
      text.append("; ").append(r.getFallbackReason());
    }
    return text.toString();
  }

  public static String state(Operation o) {
    return Cells.name(o.getState(), STATE);
  }

  private static String percent(Operation o) {
    return o.getProgressPercent() == 0 ? "" : o.getProgressPercent() + "%";
  }
}
