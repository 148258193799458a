package io.ferry.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import io.ferry.cli.testing.CliHarness.Result;
import io.ferry.proto.v1.ContainerRef;
import io.ferry.proto.v1.Snapshot;
import io.ferry.proto.v1.SnapshotRef;
import java.util.List;
import org.junit.jupiter.api.Test;

class SnapshotCommandsTest extends ClusterCommandTest {

  private static final SnapshotRef REF = SnapshotRef.newBuilder().setContainer("web-1").setSnapshot("before-upgrade").build();

  @Test
  void createSendsTheRefAndPrintsTheSnapshot() {
    Result r = cli.run("snapshot", "create", "web-1", "before-upgrade");

    assertThat(r.exit()).isZero();
    assertThat(coordinator.last(SnapshotRef.class)).isEqualTo(REF);
    assertThat(r.out()).contains("CONTAINER  SNAPSHOT        CREATED  SIZE").contains("web-1      before-upgrade           3.0 MiB");
  }

  @Test
  void aSnapshotNameMustBeADnsLabel() {
    Result r = cli.run("snapshot", "create", "web-1", "Before Upgrade");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("snapshot name 'Before Upgrade' is not a DNS label");
    assertThat(coordinator.requests).isEmpty();
  }

  @Test
  void listPrintsEachSnapshot() {
    coordinator.snapshots = List.of(
        Snapshot.newBuilder().setContainer("web-1").setName("a").setSizeBytes(1 << 20).setCreatedAt(Timestamp.newBuilder().setSeconds(1_780_000_000)).build(),
        Snapshot.newBuilder().setContainer("web-1").setName("b").setSizeBytes(2 << 20).build());

    Result r = cli.run("snapshot", "list", "web-1");

    assertThat(coordinator.last(ContainerRef.class).getName()).isEqualTo("web-1");
    assertThat(r.out()).isEqualTo(
        "CONTAINER  SNAPSHOT  CREATED               SIZE\n"
            + "web-1      a         2026-05-28T20:26:40Z  1.0 MiB\n"
            + "web-1      b                               2.0 MiB\n");
  }

  @Test
  void listAsJson() {
    coordinator.snapshots = List.of(Snapshot.newBuilder().setContainer("web-1").setName("a").build());

    assertThat(cli.run("snapshot", "list", "web-1", "-o", "json").out()).contains("\"snapshots\": [").contains("\"name\": \"a\"");
  }

  @Test
  void restoreAndDeleteSendTheRef() {
    Result restored = cli.run("snapshot", "restore", "web-1", "before-upgrade");
    assertThat(restored.out()).contains("web-1  RUNNING  host-1");

    Result deleted = cli.run("snapshot", "delete", "web-1", "before-upgrade");
    assertThat(deleted.out()).isEqualTo("deleted snapshot web-1/before-upgrade\n");

    assertThat(coordinator.all(SnapshotRef.class)).containsExactly(REF, REF);
  }

  @Test
  void restoreNeedsTheSnapshotsName() {
    Result r = cli.run("snapshot", "restore", "web-1");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("Missing required parameter: 'SNAP'");
  }
}
