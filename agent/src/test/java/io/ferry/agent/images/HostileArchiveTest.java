package io.ferry.agent.images;

import static io.ferry.agent.images.TestArchives.tar;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import io.ferry.common.ByteSize;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every hostile, corrupt or oversized archive is refused with the right kind and a message naming
 * the entry, and leaves the store's directory tree exactly as it was, with nothing outside it.
 */
class HostileArchiveTest {

  private static final Logger log = LoggerFactory.getLogger(HostileArchiveTest.class);

  @TempDir Path temp;

  /** One refused archive: what it is, the limits it meets, and what the refusal must say. */
  record Case(String name, Supplier<byte[]> archive, ImageLimits limits, Kind kind, List<String> messageParts) {
    Case withLimits(ImageLimits other) {
      return new Case(name, archive, other, kind, messageParts);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static Case refused(String name, Supplier<byte[]> archive, String... messageParts) {
    return new Case(name, archive, ImageLimits.DEFAULTS, Kind.INVALID_ARGUMENT, List.of(messageParts));
  }

  static Case exhausted(String name, Supplier<byte[]> archive, ImageLimits limits, String... messageParts) {
    return new Case(name, archive, limits, Kind.RESOURCE_EXHAUSTED, List.of(messageParts));
  }

  static Stream<Arguments> cases() {
    byte[] valid = TestArchives.rootfs();
    return Stream.of(
        refused("dot-dot entry", () -> tar().file("ok", "x").file("a/../../etc/cron.d/evil", "x").build(),
            "'a/../../etc/cron.d/evil'", "'..'"),
        refused("dot-dot alone", () -> tar().file("..", "x").build(), "entry '..'", "'..'"),
        refused("absolute entry", () -> tar().file("/etc/passwd", "x").build(), "'/etc/passwd'", "absolute"),
        refused("escaping relative symlink", () -> tar().dir("a/", 0755).symlink("a/b", "../../../etc").build(),
            "'a/b'", "'../../../etc'", "outside the image root"),
        refused("escaping symlink via dot segments", () -> tar().symlink("x", "./a/../../y").build(), "'x'", "outside"),
        refused("write through an absolute symlink", () -> tar().symlink("etc", "/etc").file("etc/passwd", "evil").build(),
            "'etc/passwd'", "passes through 'etc'", "symlink"),
        refused("write through an inner symlink", () -> tar().symlink("here", ".").file("here/x", "x").build(),
            "'here/x'", "passes through 'here'"),
        refused("directory over a symlink", () -> tar().symlink("d", "/tmp").dir("d/", 0755).build(),
            "'d/'", "already in the archive as a symlink"),
        refused("symlink over an implied directory", () -> tar().file("d/x", "x").symlink("d", "/etc").build(),
            "'d'", "already in the archive as a directory"),
        refused("hard link through a symlink", () -> tar().symlink("s", "/etc").hardlink("h", "s/shadow").build(),
            "'h'", "'s/shadow'", "not an earlier regular file"),
        refused("hard link with dot-dot", () -> tar().file("f", "x").hardlink("h", "../../etc/shadow").build(),
            "'h'", "'..'"),
        refused("hard link to an absolute path", () -> tar().hardlink("h", "/etc/shadow").build(), "'h'", "absolute"),
        refused("hard link to nothing", () -> tar().hardlink("h", "missing").build(), "'h'", "'missing'", "not an earlier regular file"),
        refused("hard link to a later file", () -> tar().hardlink("h", "f").file("f", "x").build(), "'h'", "not an earlier"),
        refused("hard link to a directory", () -> tar().dir("d/", 0755).hardlink("h", "d").build(), "'h'", "not an earlier regular file"),
        refused("character device", () -> tar().dir("dev/", 0755).device("dev/null", TarConstants.LF_CHR, 1, 3).build(),
            "'dev/null'", "character device 1,3"),
        refused("block device", () -> tar().device("dev/sda", TarConstants.LF_BLK, 8, 0).build(), "'dev/sda'", "block device 8,0"),
        refused("device below a symlinked dev", () -> tar().symlink("dev", "/dev").device("dev/sda", TarConstants.LF_BLK, 8, 0).build(),
            "'dev/sda'", "block device 8,0"),
        refused("device in a dev directory elsewhere", () -> tar().device("usr/dev/mem", TarConstants.LF_CHR, 1, 1).build(),
            "'usr/dev/mem'", "character device 1,1"),
        refused("duplicate file", () -> tar().file("f", "one").file("./f", "two").build(), "'./f'", "duplicate"),
        refused("file below a file", () -> tar().file("f", "x").file("f/g", "y").build(), "'f/g'", "not a directory"),
        refused("root as a file", () -> tar().file(".", "x").build(), "entry '.'", "root"),
        refused("empty symlink target", () -> tar().symlink("s", "").build(), "'s'", "empty target"),
        refused("uid out of range", () -> tar().file("f", "x", 0644, 1L << 33, 0).build(), "'f'", "uid 8589934592"),
        refused("volume header type", () -> tar().put(TestArchives.Builder.entry("vol", (byte) 'V', 0644, 0, 0), null).build(),
            "'vol'", "unsupported entry type 'V'"),
        refused("sparse file (pax)", HostileArchiveTest::paxSparse, "corrupt archive", "sparse"),
        refused("chain of long-name headers", HostileArchiveTest::longNameChain, "corrupt archive", "extended headers in a row"),
        refused("huge pax header", HostileArchiveTest::hugePaxHeader, "corrupt archive", "extended header of"),
        refused("truncated gzip", () -> Arrays.copyOf(TestArchives.gzip(valid), TestArchives.gzip(valid).length - 20), "corrupt archive"),
        refused("truncated zstd", () -> Arrays.copyOf(TestArchives.zstd(valid), TestArchives.zstd(valid).length / 2), "corrupt archive"),
        refused("truncated tar", () -> Arrays.copyOf(valid, 2000), "corrupt archive"),
        refused("gzip with a bad checksum", () -> corruptGzipCrc(TestArchives.gzip(valid)), "corrupt archive"),
        refused("garbage after zstd", () -> ImageStoreTest.concat(TestArchives.zstd(valid), "junk!junk!".getBytes(StandardCharsets.UTF_8)),
            "corrupt archive"),
        refused("garbage bytes", HostileArchiveTest::garbage, "corrupt archive"),
        refused("zero bytes", () -> new byte[0], "empty archive"),
        refused("only end-of-archive blocks", () -> tar().build(), "empty archive"),
        refused("xz", () -> new byte[] {(byte) 0xfd, '7', 'z', 'X', 'Z', 0, 1, 2}, "unsupported archive compression (xz)"),
        refused("setuid refused by the host", () -> tar().file("bin/su", "x", 04755, 0, 0).build(), "'bin/su'", "setuid")
            .withLimits(ImageLimits.DEFAULTS.withAllowSetuid(false)),
        refused("setgid refused by the host", () -> tar().file("bin/wall", "x", 02755, 0, 5).build(), "'bin/wall'", "setgid")
            .withLimits(ImageLimits.DEFAULTS.withAllowSetuid(false)),
        exhausted("too many entries", () -> tar().file("a", "a").file("b", "b").file("c", "c").file("d", "d").build(),
            ImageLimits.DEFAULTS.withMaxEntries(3), "'d'", "more than 3 entries"),
        exhausted("one file too large", () -> tar().file("small", "x").file("big", new byte[2048], 0644, 0, 0).build(),
            ImageLimits.DEFAULTS.withMaxUnpacked(ByteSize.ofBytes(2000)), "'big'", "unpacked size"),
        exhausted("decompression bomb", HostileArchiveTest::bomb,
            ImageLimits.DEFAULTS.withMaxUnpacked(ByteSize.ofMiB(8)), "unpack"),
        exhausted("archive too large", () -> TestArchives.rootfs(),
            ImageLimits.DEFAULTS.withMaxArchive(ByteSize.ofBytes(4096)), "larger than the limit"))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void isRefusedAndLeavesTheStoreAsItWas(Case hostile) {
    Path root = temp.resolve("store/images");
    try (ImageStore store = new ImageStore(root, ImageLimits.DEFAULTS)) {
      store.importArchive(new ByteArrayInputStream(TestArchives.rootfs()), ImportOptions.aliases("base"));
    }
    try (ImageStore store = new ImageStore(root, hostile.limits())) {
      List<String> before = StoreTree.of(temp);
      byte[] archive = hostile.archive().get();

      AgentException refusal = catchThrowableOfType(AgentException.class,
          () -> store.importArchive(new ByteArrayInputStream(archive), ImportOptions.aliases("hostile")));

      assertThat(refusal).as("refusal of %s", hostile).isNotNull();
      log.info("{}: {} {}", hostile, refusal.kind(), refusal.getMessage());
      assertThat(refusal.kind()).as(refusal.getMessage()).isEqualTo(hostile.kind());
      assertThat(refusal.getMessage()).contains(hostile.messageParts());

      assertThat(StoreTree.of(temp)).isEqualTo(before);
      assertThat(store.list()).extracting(ImageRecord::aliases).containsExactly(List.of("base"));
    }
  }

  private static byte[] paxSparse() {
    TarArchiveEntry entry = TestArchives.Builder.entry("sparse", TarConstants.LF_NORMAL, 0644, 0, 0);
    entry.addPaxHeader("GNU.sparse.major", "1");
    entry.addPaxHeader("GNU.sparse.minor", "0");
    entry.addPaxHeader("GNU.sparse.name", "sparse");
    entry.addPaxHeader("GNU.sparse.realsize", "1000000000");
    byte[] map = ("99999999999\n" + "1\n".repeat(300)).substring(0, 512).getBytes(StandardCharsets.US_ASCII);
    entry.setSize(map.length);
    return tar().put(entry, map).build();
  }

  private static byte[] longNameChain() {
    TestArchives.Builder builder = tar();
    for (int i = 0; i < 50; i++) {
      byte[] name = ("name-" + i + "\0").getBytes(StandardCharsets.US_ASCII);
      TarArchiveEntry longName = new TarArchiveEntry(TarConstants.GNU_LONGLINK, TarConstants.LF_GNUTYPE_LONGNAME, true);
      longName.setSize(name.length);
      builder.put(longName, name);
    }
    return builder.file("f", "x").build();
  }

  private static byte[] hugePaxHeader() {
    TarArchiveEntry entry = TestArchives.Builder.entry("f", TarConstants.LF_NORMAL, 0644, 0, 0);
    entry.addPaxHeader("comment", "x".repeat(2 << 20));
    entry.setSize(1);
    return TestArchives.gzip(tar().put(entry, new byte[] {'x'}).build());
  }

  private static byte[] corruptGzipCrc(byte[] gzip) {
    byte[] copy = gzip.clone();
    copy[copy.length - 8] ^= 0x55;
    return copy;
  }

  private static byte[] garbage() {
    byte[] bytes = new byte[8192];
    new Random(42).nextBytes(bytes);
    bytes[0] = 'g';
    return bytes;
  }

  /** 64 MiB of zeros in 16 files, compressed to a few kilobytes. */
  private static byte[] bomb() {
    TestArchives.Builder builder = tar();
    byte[] zeros = new byte[4 << 20];
    for (int i = 0; i < 16; i++) {
      builder.file("zeros-" + i, zeros, 0644, 0, 0);
    }
    return TestArchives.zstd(builder.build());
  }
}
