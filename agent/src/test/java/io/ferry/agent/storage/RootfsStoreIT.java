package io.ferry.agent.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real overlay mounts (root): the image stays untouched, only the writable layer is copied. */
class RootfsStoreIT {

  @TempDir Path dir;
  private Path image;
  private RootfsStore store;

  @BeforeEach
  void setUp() throws Exception {
    image = dir.resolve("image");
    Files.createDirectories(image.resolve("etc"));
    Files.writeString(image.resolve("etc/hostname"), "from-image\n");
    store = new RootfsStore(dir.resolve("containers"), Duration.ofSeconds(30), Clock.systemUTC());
  }

  @AfterEach
  void tearDown() {
    for (String name : new String[] {"web", "web-copy"}) {
      store.unmount(name);
    }
  }

  @Test
  void writesGoToTheContainersLayerNeverToTheImage() throws Exception {
    Path rootfs = store.mount("web", image);
    assertThat(store.mount("web", image)).as("idempotent").isEqualTo(rootfs);
    assertThat(store.isMounted("web")).isTrue();

    Files.writeString(rootfs.resolve("etc/hostname"), "web\n");
    Files.writeString(rootfs.resolve("data"), "x".repeat(1000));

    assertThat(Files.readString(image.resolve("etc/hostname"))).isEqualTo("from-image\n");
    assertThat(Files.readString(store.paths("web").upper().resolve("etc/hostname"))).isEqualTo("web\n");
    assertThat(store.diskUsage("web")).isEqualTo(1000 + "web\n".length());
  }

  @Test
  void snapshotThenRestoreBringsTheLayerBack() throws Exception {
    Path rootfs = store.mount("web", image);
    Files.writeString(rootfs.resolve("state"), "v1");
    SnapshotInfo snap = store.createSnapshot("web", "before");
    Files.writeString(rootfs.resolve("state"), "v2");
    Files.writeString(rootfs.resolve("new-file"), "later");

    assertThat(snap.sizeBytes()).isEqualTo(2);
    assertThat(store.listSnapshots("web")).extracting(SnapshotInfo::name).containsExactly("before");
    assertThatThrownBy(() -> store.createSnapshot("web", "before"))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.ALREADY_EXISTS));
    assertThatThrownBy(() -> store.restoreSnapshot("web", "before"))
        .as("refused while mounted")
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION));

    store.unmount("web");
    store.restoreSnapshot("web", "before");
    rootfs = store.mount("web", image);

    assertThat(Files.readString(rootfs.resolve("state"))).isEqualTo("v1");
    assertThat(rootfs.resolve("new-file")).doesNotExist();
    assertThat(store.listSnapshots("web")).hasSize(1);

    store.deleteSnapshot("web", "before");
    assertThat(store.listSnapshots("web")).isEmpty();
    assertThatThrownBy(() -> store.deleteSnapshot("web", "before"))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));
  }

  @Test
  void aCopyHasItsOwnLayerAndRemoveLeavesNothing() throws Exception {
    Files.writeString(store.mount("web", image).resolve("state"), "original");

    store.copyLayer("web", "web-copy");
    Path copy = store.mount("web-copy", image);
    Files.writeString(copy.resolve("state"), "changed in the copy");

    assertThat(Files.readString(store.paths("web").rootfs().resolve("state"))).isEqualTo("original");
    assertThatThrownBy(() -> store.copyLayer("web", "web-copy"))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.ALREADY_EXISTS));

    store.remove("web-copy");
    assertThat(store.paths("web-copy").dir()).doesNotExist();
    assertThat(store.isMounted("web-copy")).isFalse();
    assertThat(Files.readString(image.resolve("etc/hostname"))).isEqualTo("from-image\n");
  }

  @Test
  void checkpointDeletedSoonIsFreeAtOnceAndGoneSoonAfter() throws Exception {
    Path images = store.paths("web").checkpoint();
    Files.createDirectories(images.resolve("sub"));
    Files.writeString(images.resolve("pages-1.img"), "pages");
    Files.writeString(images.resolve("sub/inventory.img"), "inventory");

    store.deleteCheckpointSoon("web");
    assertThat(images).as("the directory is free for new images at once").doesNotExist();
    Files.createDirectories(images);
    Files.writeString(images.resolve("pages-1.img"), "the next dump");

    Path containerDir = store.paths("web").dir();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try (var entries = Files.list(containerDir)) {
        if (entries.noneMatch(p -> p.getFileName().toString().contains(".deleting-"))) {
          break;
        }
      }
      assertThat(System.nanoTime()).as("the old images deleted within 30 s").isLessThan(deadline);
      java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
    }
    assertThat(Files.readString(images.resolve("pages-1.img"))).as("new images untouched").isEqualTo("the next dump");
    store.deleteCheckpointSoon("nothing-here"); // no checkpoint: nothing to do, no error
  }
}
