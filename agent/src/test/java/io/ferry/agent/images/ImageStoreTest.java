package io.ferry.agent.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Importing, finding, aliasing and deleting images in a store under a temporary directory. */
class ImageStoreTest {

  static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
  static final boolean ROOT = isRoot();

  @TempDir Path temp;
  Path root;
  ImageStore store;

  @BeforeEach
  void open() {
    root = temp.resolve("images");
    store = new ImageStore(root, ImageLimits.DEFAULTS, Clock.fixed(NOW, ZoneOffset.UTC));
  }

  @AfterEach
  void close() {
    store.close();
  }

  enum Compression {
    TAR(bytes -> bytes),
    GZIP(TestArchives::gzip),
    ZSTD(TestArchives::zstd);

    final Function<byte[], byte[]> compress;

    Compression(Function<byte[], byte[]> compress) {
      this.compress = compress;
    }
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void importsEachCompressionIntoAContentAddressedRootfs(Compression compression) throws IOException {
    byte[] archive = compression.compress.apply(TestArchives.rootfs());

    ImageRecord image = store.importArchive(new ByteArrayInputStream(archive),
        ImportOptions.aliases("busybox", "tiny/1").withSource("rootfs.tar"));

    assertThat(image.digest()).isEqualTo(sha256(archive));
    assertThat(image.aliases()).containsExactly("busybox", "tiny/1");
    assertThat(image.archiveBytes()).isEqualTo(archive.length);
    assertThat(image.fileCount()).isEqualTo(14);
    assertThat(image.unpackedBytes()).isEqualTo(10 + 30 + 6);
    assertThat(image.createdAt()).isEqualTo(NOW);
    assertThat(image.source()).isEqualTo("rootfs.tar");

    Path rootfs = store.rootfs("busybox");
    assertThat(rootfs).isEqualTo(root.resolve(image.digest()).resolve("rootfs"));
    assertThat(rootfs.resolve("etc/passwd")).hasContent("root:x:0:0:root:/root:/bin/sh");
    assertThat(Files.readSymbolicLink(rootfs.resolve("bin/sh"))).isEqualTo(Path.of("busybox"));
    assertThat(Files.readSymbolicLink(rootfs.resolve("etc/localtime"))).isEqualTo(Path.of("/usr/share/zoneinfo/Etc/UTC"));
    assertThat(Files.getAttribute(rootfs.resolve("bin/ash"), "unix:ino"))
        .isEqualTo(Files.getAttribute(rootfs.resolve("bin/busybox"), "unix:ino"));
    assertThat(Files.getAttribute(rootfs.resolve("run/initctl"), "unix:mode", LinkOption.NOFOLLOW_LINKS))
        .isEqualTo(0010600);
    assertThat(Files.getLastModifiedTime(rootfs.resolve("etc/passwd"))).isEqualTo(TestArchives.MTIME);
    assertThat(mode(rootfs.resolve("var/mail"))).isEqualTo(02775);
    if (ROOT) {
      assertThat(mode(rootfs.resolve("bin/busybox"))).isEqualTo(04755);
      assertThat(Files.getAttribute(rootfs.resolve("home/user/notes.txt"), "unix:uid")).isEqualTo(1000);
      assertThat(Files.getAttribute(rootfs.resolve("home/user"), "unix:gid")).isEqualTo(1000);
      assertThat(Files.getAttribute(rootfs.resolve("etc/passwd"), "unix:uid")).isEqualTo(0);
    }
    assertThat(StoreTree.children(root)).containsExactlyInAnyOrder(".lock", ".tmp", "aliases.json", image.digest());
    assertThat(StoreTree.children(root.resolve(".tmp"))).isEmpty();
    assertThat(root.resolve(image.digest()).resolve("image.json")).content()
        .contains("\"digest\" : \"" + image.digest() + "\"", "\"format\" : \"" + compression.name().toLowerCase() + "\"");
    assertThat(root.resolve("aliases.json")).content().contains("\"tiny/1\" : \"" + image.digest() + "\"");
  }

  @Test
  void reimportingTheSameBytesOnlyAddsAliases() throws IOException {
    byte[] archive = TestArchives.gzip(TestArchives.rootfs());
    ImageRecord first = store.importArchive(new ByteArrayInputStream(archive), ImportOptions.aliases("one"));
    Object inode = Files.getAttribute(store.rootfs(first.digest()), "unix:ino");

    ImageRecord second = store.importArchive(new ByteArrayInputStream(archive), ImportOptions.aliases("two"));
    ImageRecord third = store.importArchive(
        new ByteArrayInputStream(archive), ImportOptions.aliases("three").withExpectedSha256("sha256:" + first.digest()));

    assertThat(second.digest()).isEqualTo(first.digest());
    assertThat(third.aliases()).containsExactly("one", "three", "two");
    assertThat(third.createdAt()).isEqualTo(first.createdAt());
    assertThat(Files.getAttribute(store.rootfs(first.digest()), "unix:ino")).isEqualTo(inode);
    assertThat(store.list()).hasSize(1);
  }

  @Test
  void bytesAfterAPlainTarAreHashedButNotUnpacked() {
    byte[] upload = concat(TestArchives.rootfs(), "trailing".getBytes(StandardCharsets.UTF_8));

    ImageRecord image = store.importArchive(new ByteArrayInputStream(upload), ImportOptions.none());

    assertThat(image.digest()).isEqualTo(sha256(upload));
    assertThat(image.archiveBytes()).isEqualTo(upload.length);
    assertThat(image.fileCount()).isEqualTo(14);
  }

  @Test
  void aDigestMismatchIsRefusedAndLeavesNothing() {
    byte[] archive = TestArchives.rootfs();
    List<String> before = StoreTree.of(root);
    String wrong = "ab".repeat(32);

    assertThatThrownBy(() -> store.importArchive(new ByteArrayInputStream(archive), ImportOptions.none().withExpectedSha256(wrong)))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT))
        .hasMessageContaining("digest mismatch").hasMessageContaining(wrong).hasMessageContaining(sha256(archive));
    assertThat(StoreTree.of(root)).isEqualTo(before);
  }

  @Test
  void aFailingUploadIsReportedAsItselfNotAsACorruptArchive() {
    byte[] archive = TestArchives.rootfs();
    List<String> before = StoreTree.of(root);
    InputStream broken = new FailingStream(archive, 3000, new IOException("connection reset"));
    InputStream cancelled = new FailingStream(archive, 3000, new IllegalStateException("call cancelled"));

    assertThatThrownBy(() -> store.importArchive(broken, ImportOptions.none()))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INTERNAL))
        .hasMessageContaining("cannot read the uploaded archive: connection reset");
    assertThatThrownBy(() -> store.importArchive(cancelled, ImportOptions.none()))
        .isExactlyInstanceOf(IllegalStateException.class).hasMessage("call cancelled");
    assertThat(StoreTree.of(root)).isEqualTo(before);
  }

  @Test
  void findsByAliasFullDigestAndUniquePrefix() {
    ImageRecord image = store.importArchive(new ByteArrayInputStream(TestArchives.rootfs()), ImportOptions.aliases("debian/12"));

    assertThat(store.find("debian/12")).isEqualTo(image);
    assertThat(store.find(image.digest())).isEqualTo(image);
    assertThat(store.find(image.digest().substring(0, 12))).isEqualTo(image);
    assertThat(store.find("sha256:" + image.digest().substring(0, 20).toUpperCase())).isEqualTo(image);
    assertThat(store.list()).containsExactly(image);
    for (String unknown : List.of("debian", image.digest().substring(0, 11), "0".repeat(64), "debian/12/x")) {
      assertThatThrownBy(() -> store.find(unknown))
          .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND))
          .hasMessageContaining("'" + unknown + "'");
    }
  }

  @Test
  void anAmbiguousDigestPrefixIsNotFound() throws IOException {
    store.close();
    String a = "0123456789ab" + "c".repeat(52);
    String b = "0123456789ab" + "d".repeat(52);
    for (String digest : List.of(a, b)) {
      Files.createDirectories(root.resolve(digest).resolve("rootfs"));
      ImageRecord image = new ImageRecord(digest, List.of(), 1, 1, 1, NOW, "crafted");
      ArchiveScanner.Scanned scanned = new ArchiveScanner.Scanned(digest, 1, 1, 1, ArchiveFormat.TAR, 0);
      Files.write(root.resolve(digest).resolve("image.json"), ImageJson.bytes(new ObjectMapper(), image, scanned));
    }
    store = new ImageStore(root, ImageLimits.DEFAULTS);

    assertThatThrownBy(() -> store.find("0123456789ab"))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND))
        .hasMessage("image reference '0123456789ab' is ambiguous: 2 images start with it");
    assertThat(store.find("0123456789abc").digest()).isEqualTo(a);
    assertThat(store.find("0123456789ABD").digest()).isEqualTo(b);
    assertThat(store.list()).extracting(ImageRecord::source).containsOnly("crafted");
  }

  @Test
  void aliasesMoveBetweenImagesAndCanBeRemoved() {
    ImageRecord a = store.importArchive(new ByteArrayInputStream(TestArchives.tar().file("a", "a").build()), ImportOptions.aliases("app/stable", "app/1"));
    ImageRecord b = store.importArchive(new ByteArrayInputStream(TestArchives.tar().file("b", "b").build()), ImportOptions.aliases("app/2"));

    ImageRecord moved = store.setAlias("app/stable", "app/2");
    assertThat(moved.digest()).isEqualTo(b.digest());
    assertThat(moved.aliases()).containsExactly("app/2", "app/stable");
    assertThat(store.find(a.digest()).aliases()).containsExactly("app/1");

    ImageRecord reimported = store.importArchive(new ByteArrayInputStream(TestArchives.tar().file("a", "a").build()), ImportOptions.aliases("app/stable"));
    assertThat(reimported.aliases()).containsExactly("app/1", "app/stable");
    assertThat(store.find("app/2").aliases()).containsExactly("app/2");

    assertThat(store.removeAlias("app/1").aliases()).containsExactly("app/stable");
    assertThatThrownBy(() -> store.removeAlias("app/1"))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND))
        .hasMessageContaining("'app/1'");
    assertThatThrownBy(() -> store.setAlias("x", "nope/nope"))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));
  }

  @Test
  void badAliasesAreRefusedEverywhere() {
    ImageRecord image = store.importArchive(new ByteArrayInputStream(TestArchives.rootfs()), ImportOptions.none());
    List<String> before = StoreTree.of(root);
    List<String> bad = List.of(
        "", "Busybox", "-busybox", ".hidden", "a//b", "a/", "/a", "a b", "a:b", "x".repeat(64),
        ("abcdefgh/").repeat(15) + "x", "deadbeefcafe", "0123456789abcdef", "é");

    for (String alias : bad) {
      assertThatThrownBy(() -> ImportOptions.aliases(alias))
          .as("alias '%s'", alias)
          .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT));
      assertThatThrownBy(() -> store.setAlias(alias, image.digest()))
          .as("alias %s", alias)
          .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT))
          .hasMessageContaining("alias");
    }
    assertThat(StoreTree.of(root)).isEqualTo(before);
    for (String good : List.of("busybox", "debian/12", "a", "0", "x.y_z-1/2/3", "x".repeat(63), "deadbeef", "g123456789abcdef")) {
      assertThat(store.setAlias(good, image.digest()).aliases()).contains(good);
    }
  }

  @Test
  void deleteRefusesAnImageInUseAndNamesTheContainers() {
    ImageRecord image = store.importArchive(new ByteArrayInputStream(TestArchives.rootfs()), ImportOptions.aliases("busybox"));
    List<String> before = StoreTree.of(root);

    assertThatThrownBy(() -> store.delete("busybox", digest -> List.of("web-1", "web-2")))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION))
        .hasMessage("image busybox (" + image.shortDigest() + ") is used by containers web-1, web-2");
    assertThat(StoreTree.of(root)).isEqualTo(before);

    ImageRecord deleted = store.delete(image.shortDigest(), ImageUsage.NONE);

    assertThat(deleted.aliases()).containsExactly("busybox");
    assertThat(store.list()).isEmpty();
    assertThat(StoreTree.children(root)).containsExactlyInAnyOrder(".lock", ".tmp", "aliases.json");
    assertThat(StoreTree.children(root.resolve(".tmp"))).isEmpty();
    assertThat(root.resolve("aliases.json")).content().doesNotContain("busybox");
    assertThatThrownBy(() -> store.find("busybox")).isInstanceOf(AgentException.class);
    assertThatThrownBy(() -> store.delete(image.digest(), ImageUsage.NONE))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));
  }

  @Test
  void reopeningCleansTmpKeepsImagesAndDropsWhatIsBroken() throws IOException {
    ImageRecord kept = store.importArchive(new ByteArrayInputStream(TestArchives.rootfs()), ImportOptions.aliases("kept"));
    ImageRecord broken = store.importArchive(new ByteArrayInputStream(TestArchives.tar().file("x", "x").build()), ImportOptions.aliases("broken"));
    store.close();
    Files.createDirectories(root.resolve(".tmp/import-leftover/image/rootfs/bin"));
    Files.writeString(root.resolve(".tmp/import-leftover/canonical.tar"), "half");
    Files.setPosixFilePermissions(root.resolve(".tmp/import-leftover/image/rootfs"), PosixFilePermissions.fromString("r-xr-xr-x"));
    Files.delete(root.resolve(broken.digest()).resolve("image.json"));

    store = new ImageStore(root, ImageLimits.DEFAULTS);

    assertThat(store.list()).containsExactly(kept);
    assertThat(StoreTree.children(root)).containsExactlyInAnyOrder(".lock", ".tmp", "aliases.json", kept.digest());
    assertThat(StoreTree.children(root.resolve(".tmp"))).isEmpty();
    assertThat(root.resolve("aliases.json")).content().doesNotContain("broken");
  }

  @Test
  void onlyOneStoreMayOpenARoot() {
    assertThatThrownBy(() -> new ImageStore(root, ImageLimits.DEFAULTS))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION))
        .hasMessageContaining("in use");
  }

  @Test
  void importsADirectoryDeterministically() throws IOException {
    Path dir = temp.resolve("rootfs");
    Files.createDirectories(dir.resolve("etc"));
    Files.writeString(dir.resolve("etc/hostname"), "box\n");
    Files.createSymbolicLink(dir.resolve("etc/localtime"), Path.of("/usr/share/zoneinfo/UTC"));
    Files.createDirectories(dir.resolve("usr/bin"));
    Files.writeString(dir.resolve("usr/bin/tool"), "#!/bin/sh\n");
    Files.setPosixFilePermissions(dir.resolve("usr/bin/tool"), PosixFilePermissions.fromString("rwxr-xr-x"));

    ImageRecord first = store.importDirectory(dir, ImportOptions.aliases("local/box"));
    ImageRecord again = store.importDirectory(dir, ImportOptions.aliases("local/again"));

    assertThat(again.digest()).isEqualTo(first.digest());
    assertThat(again.aliases()).containsExactly("local/again", "local/box");
    assertThat(first.source()).isEqualTo("directory " + dir.toRealPath());
    Path rootfs = store.rootfs("local/box");
    assertThat(rootfs.resolve("etc/hostname")).hasContent("box");
    assertThat(Files.readSymbolicLink(rootfs.resolve("etc/localtime"))).isEqualTo(Path.of("/usr/share/zoneinfo/UTC"));
    assertThat(mode(rootfs.resolve("usr/bin/tool"))).isEqualTo(0755);
    assertThat(StoreTree.children(root.resolve(".tmp"))).isEmpty();

    assertThatThrownBy(() -> store.importDirectory(temp, ImportOptions.none()))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT))
        .hasMessageContaining("contains the image store");
    assertThatThrownBy(() -> store.importDirectory(dir.resolve("etc/hostname"), ImportOptions.none()))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT))
        .hasMessageContaining("not a directory");
  }

  static int mode(Path path) throws IOException {
    return (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static boolean isRoot() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException e) {
      return false;
    }
  }

  /** Gives {@code data} up to {@code failAt} bytes, then throws {@code failure}. */
  static final class FailingStream extends InputStream {
    private final byte[] data;
    private final int failAt;
    private final Exception failure;
    private int position;

    FailingStream(byte[] data, int failAt, Exception failure) {
      this.data = data;
      this.failAt = failAt;
      this.failure = failure;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (position >= failAt) {
        if (failure instanceof IOException io) {
          throw io;
        }
        throw (RuntimeException) failure;
      }
      int n = Math.min(len, Math.min(failAt, data.length) - position);
      if (n <= 0) {
        return -1;
      }
      System.arraycopy(data, position, b, off, n);
      position += n;
      return n;
    }
  }
}
