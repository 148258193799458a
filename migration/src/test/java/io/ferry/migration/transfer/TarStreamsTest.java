package io.ferry.migration.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A delta pass packed from one tree and unpacked onto an earlier copy makes the copy equal. */
class TarStreamsTest {

  @TempDir Path source;
  @TempDir Path target;
  @TempDir Path scratch;

  private void copy(Optional<List<String>> entries) throws Exception {
    TarStreams tar = new TarStreams(scratch);
    try (TarStreams.Packing packing = tar.pack(source, entries, false, Duration.ofSeconds(30));
        TarStreams.Unpacking unpacking = tar.unpack(target, Duration.ofSeconds(30))) {
      try (InputStream in = packing.output()) {
        in.transferTo(unpacking.input());
      }
      packing.finish();
      unpacking.finish();
    }
  }

  @Test
  void aFirstPassThenADeltaReproduceTheTree() throws Exception {
    Files.createDirectories(source.resolve("etc"));
    Files.writeString(source.resolve("etc/conf"), "v1");
    Files.writeString(source.resolve("old"), "old");
    Files.createSymbolicLink(source.resolve("link"), Path.of("etc/conf"));
    TreeManifest first = TreeManifest.scan(source);
    copy(Optional.empty());

    Files.writeString(source.resolve("etc/conf"), "v2, longer");
    Files.delete(source.resolve("old"));
    Files.delete(source.resolve("link"));
    Files.createSymbolicLink(source.resolve("link"), Path.of("elsewhere"));
    Files.writeString(source.resolve("etc/new"), "n");
    DeltaPlan plan = DeltaPlan.between(first, TreeManifest.scan(source));
    for (String gone : plan.deleted()) {
      Files.deleteIfExists(target.resolve(gone));
    }
    copy(Optional.of(plan.changed()));

    assertThat(Files.readString(target.resolve("etc/conf"))).isEqualTo("v2, longer");
    assertThat(Files.readString(target.resolve("etc/new"))).isEqualTo("n");
    assertThat(target.resolve("old")).doesNotExist();
    assertThat(Files.readSymbolicLink(target.resolve("link"))).isEqualTo(Path.of("elsewhere"));
  }

  @Test
  void aListedEntryThatVanishedIsSkippedOnlyWhenTheTreeIsLive() throws Exception {
    Files.writeString(source.resolve("kept"), "k");
    List<String> listed = List.of("kept", "vanished");
    copyLive(listed);
    assertThat(Files.readString(target.resolve("kept"))).isEqualTo("k");

    TarStreams tar = new TarStreams(scratch);
    try (TarStreams.Packing packing = tar.pack(source, Optional.of(listed), false, Duration.ofSeconds(30))) {
      packing.output().transferTo(java.io.OutputStream.nullOutputStream());
      org.assertj.core.api.Assertions.assertThatThrownBy(packing::finish).hasMessageContaining("vanished");
    }
  }

  private void copyLive(List<String> entries) throws Exception {
    TarStreams tar = new TarStreams(scratch);
    try (TarStreams.Packing packing = tar.pack(source, Optional.of(entries), true, Duration.ofSeconds(30));
        TarStreams.Unpacking unpacking = tar.unpack(target, Duration.ofSeconds(30))) {
      try (InputStream in = packing.output()) {
        in.transferTo(unpacking.input());
      }
      packing.finish();
      unpacking.finish();
    }
  }
}
