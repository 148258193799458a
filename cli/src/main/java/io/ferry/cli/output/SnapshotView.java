package io.ferry.cli.output;

import io.ferry.proto.v1.Snapshot;
import java.util.List;

/** A container's snapshots for people. */
public final class SnapshotView {

  private SnapshotView() {}

  public static String table(List<Snapshot> snapshots) {
    Table table = new Table("container", "snapshot", "created", "size");
    for (Snapshot s : snapshots) {
      table.row(s.getContainer(), s.getName(), Cells.time(s.getCreatedAt()), Cells.bytes(s.getSizeBytes(), false));
    }
    return table.render();
  }
}
