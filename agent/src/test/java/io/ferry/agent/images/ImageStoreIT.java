package io.ferry.agent.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.ferry.agent.AgentException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Imports the real base images host setup builds ({@code /var/cache/ferry/images/busybox.tar.zst}
 * and {@code debian-12.tar.zst}, or {@code $FERRY_IMAGE_CACHE}), as root: owners, setuid bits and
 * timings. Waits up to 10 minutes for an image another process is still building; fails (never
 * skips) when one never appears.
 */
class ImageStoreIT {

  private static final Logger log = LoggerFactory.getLogger(ImageStoreIT.class);

  private static final Path CACHE =
      Path.of(System.getenv().getOrDefault("FERRY_IMAGE_CACHE", "/var/cache/ferry/images"));

  /**
   * Where the store goes: {@code $FERRY_IT_TMP}, else {@code /var/tmp}. Not JUnit's {@code /tmp}:
   * on these VMs creating a file in {@code /tmp} has been measured at up to 1 ms of kernel time,
   * ten times more than elsewhere on the same disk, which would swamp the import figures.
   */
  private static final Path WORK = Path.of(System.getenv().getOrDefault("FERRY_IT_TMP", "/var/tmp"));

  Path temp;
  ImageStore store;

  @BeforeEach
  void open() throws IOException {
    assertThat(ImageStoreTest.ROOT).as("ImageStoreIT runs as root (owners and setuid bits)").isTrue();
    temp = Files.createTempDirectory(WORK, "ferry-image-store-it-");
    store = new ImageStore(temp.resolve("images"), ImageLimits.DEFAULTS);
  }

  @AfterEach
  void close() throws IOException {
    store.close();
    FileTrees.delete(temp);
  }

  @Test
  void importsBusybox() throws IOException {
    Path tarball = awaitTarball("busybox");

    long started = System.nanoTime();
    ImageRecord image = importFile(tarball, ImportOptions.aliases("busybox").withExpectedSha256(expectedSha256(tarball)));
    log.info("imported busybox: {} bytes -> {} entries in {} ms", image.archiveBytes(), image.fileCount(), millisSince(started));

    Path rootfs = store.rootfs("busybox");
    assertThat(rootfs.resolve("bin/busybox")).isRegularFile().isExecutable();
    assertThat(Files.getAttribute(rootfs.resolve("bin/busybox"), "unix:uid")).isEqualTo(0);
    assertThat(Files.readSymbolicLink(rootfs.resolve("bin/sh"))).isNotNull();
    assertReimportIsIdempotentAndFast(tarball, image);
  }

  @Test
  void importsDebianWithOwnersAndSetuidBits() throws IOException {
    Path tarball = awaitTarball("debian-12");

    long started = System.nanoTime();
    ImageRecord image = importFile(tarball, ImportOptions.aliases("debian/12").withExpectedSha256(expectedSha256(tarball)));
    long importMs = millisSince(started);
    log.info("imported debian-12: {} MiB archive -> {} MiB in {} entries in {} ms",
        image.archiveBytes() >> 20, image.unpackedBytes() >> 20, image.fileCount(), importMs);

    Path rootfs = store.rootfs("debian/12");
    assertThat(rootfs.resolve("lib/systemd/systemd")).isRegularFile().isExecutable();
    Path systemd = rootfs.resolve("lib/systemd/systemd").toRealPath();
    assertThat(systemd).startsWith(rootfs.toRealPath());
    assertThat(Files.getAttribute(systemd, "unix:uid")).isEqualTo(0);
    assertThat(Files.readSymbolicLink(rootfs.resolve("lib"))).isEqualTo(Path.of("usr/lib"));
    Path su = rootfs.resolve("usr/bin/su");
    assertThat(ImageStoreTest.mode(su)).isEqualTo(04755);
    assertThat(Files.getAttribute(su, "unix:uid")).isEqualTo(0);
    Path chkpwd = rootfs.resolve("usr/sbin/unix_chkpwd");
    assertThat(ImageStoreTest.mode(chkpwd)).isEqualTo(02755);
    assertThat(Files.getAttribute(chkpwd, "unix:gid")).isEqualTo(42);
    try (Stream<Path> dev = Files.list(rootfs.resolve("dev"))) {
      assertThat(dev.filter(p -> isDevice(p)).toList()).as("device nodes under /dev").isEmpty();
    }
    assertThat(image.fileCount()).isGreaterThan(5_000);
    assertReimportIsIdempotentAndFast(tarball, image);

    started = System.nanoTime();
    ImageRecord packed = store.importDirectory(rootfs, ImportOptions.aliases("debian/12-repacked"));
    log.info("imported the unpacked debian-12 directory: {} MiB tar -> {} entries in {} ms",
        packed.archiveBytes() >> 20, packed.fileCount(), millisSince(started));
    assertThat(packed.fileCount()).isEqualTo(image.fileCount());
    assertThat(store.importDirectory(rootfs, ImportOptions.none()).digest()).isEqualTo(packed.digest());

    assertThat(catchThrowableOfType(AgentException.class, () -> store.delete("debian/12", digest -> List.of("web-1"))).kind())
        .isEqualTo(AgentException.Kind.FAILED_PRECONDITION);
    started = System.nanoTime();
    store.delete("debian/12", ImageUsage.NONE);
    log.info("deleted debian-12 in {} ms", millisSince(started));
    assertThat(store.list()).extracting(ImageRecord::digest).containsExactly(packed.digest());
    assertThat(StoreTree.children(store.root().resolve(".tmp"))).isEmpty();
  }

  private void assertReimportIsIdempotentAndFast(Path tarball, ImageRecord image) throws IOException {
    Object inode = Files.getAttribute(store.rootfs(image.digest()), "unix:ino");

    long started = System.nanoTime();
    ImageRecord hashed = importFile(tarball, ImportOptions.aliases("again/hashed").withExpectedSha256(image.digest()));
    long hashedMs = millisSince(started);
    started = System.nanoTime();
    ImageRecord scanned = importFile(tarball, ImportOptions.aliases("again/scanned"));
    long scannedMs = millisSince(started);
    log.info("re-import of {}: {} ms with its digest given (hash only), {} ms without (validated, not unpacked)",
        tarball.getFileName(), hashedMs, scannedMs);

    assertThat(List.of(hashed.digest(), scanned.digest())).containsOnly(image.digest());
    assertThat(scanned.createdAt()).isEqualTo(image.createdAt());
    assertThat(scanned.aliases()).contains("again/hashed", "again/scanned");
    assertThat(Files.getAttribute(store.rootfs(image.digest()), "unix:ino")).isEqualTo(inode);
    assertThat(hashedMs).as("hash-only re-import, ms").isLessThan(3_000);
    assertThat(scannedMs).as("validating re-import, ms").isLessThan(10_000);
  }

  private ImageRecord importFile(Path tarball, ImportOptions options) throws IOException {
    try (InputStream in = Files.newInputStream(tarball)) {
      return store.importArchive(in, options.withSource(tarball.toString()));
    }
  }

  /** The tarball of {@code name}, waiting (at most 10 min) while host setup still builds it. */
  private static Path awaitTarball(String name) {
    Path tarball = CACHE.resolve(name + ".tar.zst");
    Path sum = CACHE.resolve(name + ".tar.zst.sha256");
    await("host setup to build " + tarball)
        .atMost(Duration.ofMinutes(10))
        .pollInterval(Duration.ofSeconds(5))
        .until(() -> Files.isRegularFile(tarball) && Files.isRegularFile(sum) && Files.size(sum) >= 64);
    return tarball;
  }

  private static String expectedSha256(Path tarball) throws IOException {
    return Files.readString(tarball.resolveSibling(tarball.getFileName() + ".sha256")).strip().split("\\s+")[0];
  }

  private static boolean isDevice(Path path) {
    try {
      int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      int type = mode & 0170000;
      return type == 0020000 || type == 0060000;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static long millisSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }
}
