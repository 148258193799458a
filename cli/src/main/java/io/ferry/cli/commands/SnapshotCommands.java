package io.ferry.cli.commands;

import io.ferry.cli.output.ContainerView;
import io.ferry.cli.output.SnapshotView;
import io.ferry.proto.v1.ContainerRef;
import io.ferry.proto.v1.SnapshotRef;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code ferry snapshot create|restore|list|delete}: copies of a container's writable layer. */
@Command(
    name = "snapshot",
    description = "Snapshots of a container's writable layer.",
    subcommands = {SnapshotCommands.Create.class, SnapshotCommands.Restore.class, SnapshotCommands.ListSnapshots.class, SnapshotCommands.Delete.class})
public final class SnapshotCommands {

  /** NAME SNAP. */
  abstract static class OneSnapshot extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "the container")
    String name;

    @Parameters(index = "1", paramLabel = "SNAP", description = "the snapshot")
    String snapshot;

    SnapshotRef ref() {
      return SnapshotRef.newBuilder().setContainer(name).setSnapshot(snapshot).build();
    }
  }

  @Command(name = "create", description = "Snapshot a stopped or frozen container.")
  static final class Create extends OneSnapshot {
    @Override
    int run() throws Exception {
      Arguments.newName(spec, "snapshot", snapshot);
      var created = client().containers(s -> s.createSnapshot(ref()));
      return print(created, () -> SnapshotView.table(List.of(created)));
    }
  }

  @Command(name = "restore", description = "Put a container's writable layer back as it was in the snapshot.")
  static final class Restore extends OneSnapshot {
    @Override
    int run() throws Exception {
      var container = client().containers(s -> s.restoreSnapshot(ref()));
      return print(container, () -> ContainerView.clusterTable(List.of(container)));
    }
  }

  @Command(name = "delete", description = "Delete a snapshot.")
  static final class Delete extends OneSnapshot {
    @Override
    int run() throws Exception {
      var deleted = client().containers(s -> s.deleteSnapshot(ref()));
      return print(deleted, () -> "deleted snapshot " + name + "/" + snapshot + "\n");
    }
  }

  @Command(name = "list", description = "List a container's snapshots.")
  static final class ListSnapshots extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "the container")
    String name;

    @Override
    int run() throws Exception {
      var snapshots = client().containers(s -> s.listSnapshots(ContainerRef.newBuilder().setName(name).build()));
      return print(snapshots, () -> SnapshotView.table(snapshots.getSnapshotsList()));
    }
  }
}
