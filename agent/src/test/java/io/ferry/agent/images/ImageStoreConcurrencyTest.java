package io.ferry.agent.images;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.AgentException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store under concurrent calls: parallel imports, one copy per digest, serialized metadata. */
class ImageStoreConcurrencyTest {

  private static final long WAIT_SECONDS = 60;

  @TempDir Path temp;
  Path root;
  ImageStore store;
  ExecutorService pool;

  @BeforeEach
  void open() {
    root = temp.resolve("images");
    store = new ImageStore(root, ImageLimits.DEFAULTS);
    pool = Executors.newFixedThreadPool(8);
  }

  @AfterEach
  void close() {
    pool.shutdownNow();
    store.close();
  }

  @Test
  void anImportDoesNotBlockImportsOfOtherImages() throws Exception {
    byte[] slow = TestArchives.gzip(TestArchives.rootfs());
    byte[] fast = TestArchives.tar().file("fast", "x").build();
    GatedStream gated = new GatedStream(slow, slow.length / 2);

    Future<ImageRecord> first = pool.submit(() -> store.importArchive(gated, ImportOptions.aliases("slow")));
    assertThat(gated.reached.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();

    // The first import is stuck halfway through its upload: a second one must still complete.
    ImageRecord second = store.importArchive(new ByteArrayInputStream(fast), ImportOptions.aliases("fast"));
    assertThat(store.find("fast")).isEqualTo(second);
    assertThat(first.isDone()).isFalse();

    gated.open.countDown();
    assertThat(first.get(WAIT_SECONDS, TimeUnit.SECONDS).aliases()).containsExactly("slow");
    assertThat(store.list()).hasSize(2);
  }

  @Test
  void theSameArchiveImportedAtOnceEndsAsOneImage() throws Exception {
    byte[] archive = TestArchives.zstd(TestArchives.rootfs());
    int importers = 8;
    CyclicBarrier start = new CyclicBarrier(importers);
    List<Future<ImageRecord>> results = new ArrayList<>();
    for (int i = 0; i < importers; i++) {
      String alias = "copy/" + i;
      results.add(pool.submit(() -> {
        start.await(WAIT_SECONDS, TimeUnit.SECONDS);
        return store.importArchive(new ByteArrayInputStream(archive), ImportOptions.aliases(alias));
      }));
    }
    Set<String> digests = new TreeSet<>();
    for (Future<ImageRecord> result : results) {
      digests.add(result.get(WAIT_SECONDS, TimeUnit.SECONDS).digest());
    }

    assertThat(digests).hasSize(1);
    String digest = digests.iterator().next();
    assertThat(store.list()).singleElement().satisfies(image -> assertThat(image.aliases()).hasSize(importers));
    assertThat(StoreTree.children(root)).containsExactlyInAnyOrder(".lock", ".tmp", "aliases.json", digest);
    assertThat(StoreTree.children(root.resolve(".tmp"))).isEmpty();
    assertThat(store.rootfs(digest).resolve("etc/passwd")).exists();
  }

  @Test
  void deletesAndImportsOfTheSameDigestNeverInterleave() throws Exception {
    byte[] archive = TestArchives.rootfs();
    String digest = store.importArchive(new ByteArrayInputStream(archive), ImportOptions.aliases("base")).digest();
    for (int round = 0; round < 20; round++) {
      CyclicBarrier start = new CyclicBarrier(2);
      Future<?> deleter = pool.submit(() -> {
        start.await(WAIT_SECONDS, TimeUnit.SECONDS);
        try {
          store.delete(digest, ImageUsage.NONE);
        } catch (AgentException e) {
          // NOT_FOUND when the other side's outcome already removed it: either order is fine.
          assertThat(e.kind()).isEqualTo(AgentException.Kind.NOT_FOUND);
        }
        return null;
      });
      Future<ImageRecord> importer = pool.submit(() -> {
        start.await(WAIT_SECONDS, TimeUnit.SECONDS);
        return store.importArchive(new ByteArrayInputStream(archive), ImportOptions.aliases("base"));
      });
      deleter.get(WAIT_SECONDS, TimeUnit.SECONDS);
      assertThat(importer.get(WAIT_SECONDS, TimeUnit.SECONDS).digest()).isEqualTo(digest);

      assertConsistent();
      if (store.list().isEmpty()) {
        store.importArchive(new ByteArrayInputStream(archive), ImportOptions.aliases("base"));
      }
    }
  }

  @Test
  void concurrentAliasChangesAreSerializedAndPersisted() throws Exception {
    List<String> digests = new ArrayList<>();
    for (String name : List.of("a", "b", "c")) {
      digests.add(store.importArchive(new ByteArrayInputStream(TestArchives.tar().file(name, name).build()), ImportOptions.none()).digest());
    }
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < 8; w++) {
      Random random = new Random(w);
      workers.add(pool.submit(() -> {
        for (int i = 0; i < 30; i++) {
          String alias = "alias/" + random.nextInt(10);
          if (random.nextInt(4) == 0) {
            try {
              store.removeAlias(alias);
            } catch (AgentException e) {
              assertThat(e.kind()).isEqualTo(AgentException.Kind.NOT_FOUND);
            }
          } else {
            store.setAlias(alias, digests.get(random.nextInt(digests.size())));
          }
          assertThat(store.list()).hasSize(3);
        }
        return null;
      }));
    }
    for (Future<?> worker : workers) {
      worker.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }
    List<ImageRecord> inMemory = store.list();
    store.close();
    store = new ImageStore(root, ImageLimits.DEFAULTS);

    assertThat(store.list()).isEqualTo(inMemory);
  }

  /** Every digest directory is a listed image with its files, and every listed image is on disk. */
  private void assertConsistent() throws IOException {
    Set<String> onDisk = new TreeSet<>(StoreTree.children(root));
    onDisk.removeAll(List.of(".lock", ".tmp", "aliases.json"));
    Set<String> listed = new TreeSet<>();
    store.list().forEach(image -> listed.add(image.digest()));
    assertThat(onDisk).isEqualTo(listed);
    for (String digest : listed) {
      assertThat(root.resolve(digest).resolve("image.json")).isRegularFile();
      assertThat(store.rootfs(digest).resolve("etc/passwd")).isRegularFile();
    }
    assertThat(Files.readString(root.resolve("aliases.json")).contains("\"base\"")).isEqualTo(!listed.isEmpty());
  }

  /** Serves {@code data}, but stops at {@code gateAt} until {@link #open} is counted down. */
  static final class GatedStream extends InputStream {
    final CountDownLatch reached = new CountDownLatch(1);
    final CountDownLatch open = new CountDownLatch(1);
    private final byte[] data;
    private final int gateAt;
    private int position;

    GatedStream(byte[] data, int gateAt) {
      this.data = data;
      this.gateAt = gateAt;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (position == gateAt) {
        reached.countDown();
        try {
          if (!open.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
            throw new InterruptedIOException("gate never opened");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted at the gate");
        }
      }
      int limit = position < gateAt ? gateAt : data.length;
      int n = Math.min(len, limit - position);
      if (n <= 0) {
        return -1;
      }
      System.arraycopy(data, position, b, off, n);
      position += n;
      return n;
    }
  }
}
