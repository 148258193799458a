package io.ferry.migration.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.migration.protocol.MigrationException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlatArchiveTest {

  @TempDir Path dir;

  /** Files like a CRIU image directory: a large one, one of exactly a block, an empty one. */
  private Path images() throws IOException {
    Path images = Files.createDirectories(dir.resolve("images"));
    byte[] pages = new byte[300_000];
    new Random(7).nextBytes(pages);
    Files.write(images.resolve("pages-1.img"), pages);
    Files.write(images.resolve("core-1.img"), new byte[512]);
    Files.write(images.resolve("empty.img"), new byte[0]);
    Files.writeString(images.resolve("descriptors.json"), "[\"/dev/null\"]");
    Files.setPosixFilePermissions(images.resolve("pages-1.img"), PosixFilePermissions.fromString("rw-------"));
    Files.setPosixFilePermissions(images.resolve("descriptors.json"), PosixFilePermissions.fromString("rw-r--r--"));
    return images;
  }

  private static byte[] packed(Path images) throws IOException {
    try (InputStream in = FlatArchive.pack(images).orElseThrow()) {
      return in.readAllBytes();
    }
  }

  private static void assertSameFiles(Path expected, Path actual) throws IOException {
    List<String> names;
    try (var list = Files.list(expected)) {
      names = list.map(p -> p.getFileName().toString()).sorted().toList();
    }
    try (var list = Files.list(actual)) {
      assertThat(list.map(p -> p.getFileName().toString()).sorted().toList()).isEqualTo(names);
    }
    for (String name : names) {
      assertThat(actual.resolve(name)).hasSameBinaryContentAs(expected.resolve(name));
      assertThat(Files.getPosixFilePermissions(actual.resolve(name))).as(name)
          .isEqualTo(Files.getPosixFilePermissions(expected.resolve(name)));
    }
  }

  @Test
  void gnuTarReadsWhatThePackWrites() throws Exception {
    Path images = images();
    Path archive = Files.write(dir.resolve("images.tar"), packed(images));
    Path out = Files.createDirectories(dir.resolve("out"));

    Process tar = new ProcessBuilder("tar", "--extract", "--file=" + archive, "--directory=" + out, "--preserve-permissions")
        .redirectErrorStream(true).start();
    String said = new String(tar.getInputStream().readAllBytes());
    assertThat(tar.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(tar.exitValue()).as(said).isZero();
    assertThat(said).isEmpty();
    assertSameFiles(images, out);
  }

  @Test
  void unpacksItsOwnArchiveFedInOddPieces() throws Exception {
    Path images = images();
    byte[] archive = packed(images);
    Path out = Files.createDirectories(dir.resolve("out"));
    Files.writeString(out.resolve("core-1.img"), "stale, longer than the new one ".repeat(100));

    Unpacker unpacking = FlatArchive.unpack(out);
    for (int at = 0; at < archive.length; at += 333) {
      unpacking.input().write(archive, at, Math.min(333, archive.length - at));
    }
    unpacking.finish();

    assertSameFiles(images, out);
  }

  @Test
  void unpacksWhatGnuTarPacksOfAFlatDirectory() throws Exception {
    Path images = images();
    Process tar = new ProcessBuilder("tar", "--create", "--file=-", "--directory=" + images, "--numeric-owner", ".").start();
    byte[] archive = tar.getInputStream().readAllBytes();
    assertThat(tar.waitFor(30, TimeUnit.SECONDS)).isTrue();
    Path out = Files.createDirectories(dir.resolve("out"));

    Unpacker unpacking = FlatArchive.unpack(out);
    unpacking.input().write(archive);
    unpacking.finish();

    assertSameFiles(images, out);
  }

  @Test
  void aDirectoryWithMoreThanFilesIsLeftToGnuTar() throws Exception {
    Path images = images();
    Files.createDirectory(images.resolve("sub"));
    assertThat(FlatArchive.pack(images)).isEmpty();

    Files.delete(images.resolve("sub"));
    Files.createSymbolicLink(images.resolve("link"), images.resolve("core-1.img"));
    assertThat(FlatArchive.pack(images)).isEmpty();
  }

  @Test
  void refusesEntriesOutsideTheDirectoryAndTruncatedArchives() throws Exception {
    Path source = Files.createDirectories(dir.resolve("src"));
    Files.writeString(source.resolve("x"), "escape");
    byte[] archive = packed(source);
    // The same header naming "../x" (and its checksum fixed): a path, not a file name.
    byte[] evil = archive.clone();
    System.arraycopy("../x\0".getBytes(), 0, evil, 0, 5);
    java.util.Arrays.fill(evil, 148, 156, (byte) ' ');
    long sum = 0;
    for (int i = 0; i < 512; i++) {
      sum += evil[i] & 0xff;
    }
    System.arraycopy(String.format("%06o\0 ", sum).getBytes(), 0, evil, 148, 8);
    Path out = Files.createDirectories(dir.resolve("out"));

    Unpacker escaping = FlatArchive.unpack(out);
    assertThatThrownBy(() -> escaping.input().write(evil)).hasMessageContaining("not a plain file name");
    escaping.close();
    assertThat(dir.resolve("x")).doesNotExist();

    Unpacker truncated = FlatArchive.unpack(out);
    truncated.input().write(archive, 0, 600);
    assertThatThrownBy(truncated::finish).isInstanceOf(MigrationException.class).hasMessageContaining("truncated");

    ByteArrayOutputStream corrupt = new ByteArrayOutputStream();
    corrupt.write(archive);
    byte[] bad = corrupt.toByteArray();
    bad[10] ^= 1;
    Unpacker checked = FlatArchive.unpack(out);
    assertThatThrownBy(() -> checked.input().write(bad)).hasMessageContaining("checksum");
  }
}
