package io.ferry.migration.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeltaPlanTest {

  @TempDir Path upper;

  @Test
  void aFirstPassSendsEverythingParentsFirst() throws Exception {
    Files.createDirectories(upper.resolve("a/b"));
    Files.writeString(upper.resolve("a/b/f"), "12345");
    Files.writeString(upper.resolve("a-z"), "1");
    DeltaPlan plan = DeltaPlan.everything(TreeManifest.scan(upper));
    assertThat(plan.changed()).containsExactly("a", "a/b", "a/b/f", "a-z");
    assertThat(plan.deleted()).isEmpty();
    assertThat(plan.changedBytes()).isEqualTo(6);
  }

  @Test
  void anUnchangedTreeNeedsNothing() throws Exception {
    Files.createDirectories(upper.resolve("etc"));
    Files.writeString(upper.resolve("etc/hosts"), "x");
    TreeManifest first = TreeManifest.scan(upper);
    assertThat(DeltaPlan.between(first, TreeManifest.scan(upper)).isEmpty()).isTrue();
  }

  @Test
  void theDeltaHasNewAndChangedEntriesAndTheRemovedOnes() throws Exception {
    Files.createDirectories(upper.resolve("keep"));
    Files.createDirectories(upper.resolve("gone/deep"));
    Files.writeString(upper.resolve("gone/deep/x"), "x");
    Files.writeString(upper.resolve("keep/same"), "same");
    Files.writeString(upper.resolve("keep/edited"), "old");
    Files.writeString(upper.resolve("keep/chmod"), "c");
    Files.writeString(upper.resolve("becomes-dir"), "f");
    TreeManifest first = TreeManifest.scan(upper);

    Files.writeString(upper.resolve("keep/edited"), "new content");
    Files.setLastModifiedTime(upper.resolve("keep/edited"), FileTime.from(Instant.now().plusSeconds(5)));
    Files.setPosixFilePermissions(upper.resolve("keep/chmod"), PosixFilePermissions.fromString("rwx------"));
    Files.writeString(upper.resolve("keep/new"), "n");
    Files.delete(upper.resolve("gone/deep/x"));
    Files.delete(upper.resolve("gone/deep"));
    Files.delete(upper.resolve("gone"));
    Files.delete(upper.resolve("becomes-dir"));
    Files.createDirectories(upper.resolve("becomes-dir"));

    DeltaPlan plan = DeltaPlan.between(first, TreeManifest.scan(upper));
    assertThat(plan.changed()).contains("keep/edited", "keep/chmod", "keep/new", "becomes-dir")
        .doesNotContain("keep/same", "gone");
    assertThat(plan.deleted()).as("only the top of a removed tree, and the entry whose type changed")
        .containsExactly("becomes-dir", "gone");
    assertThat(plan.changedBytes()).isEqualTo("new content".length() + 1 + 1);
  }

  @Test
  void aFileReplacedByAnotherIsChangedEvenWithTheSameSizeAndTime() throws Exception {
    Path f = upper.resolve("f");
    Files.writeString(f, "aaaa");
    FileTime t = Files.getLastModifiedTime(f);
    TreeManifest first = TreeManifest.scan(upper);
    Path tmp = upper.resolve("f.tmp");
    Files.writeString(tmp, "bbbb");
    Files.setLastModifiedTime(tmp, t);
    Files.move(tmp, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThat(DeltaPlan.between(first, TreeManifest.scan(upper)).changed()).contains("f");
  }

  @Test
  void parentsComeBeforeTheirContentsWhateverTheCharacters() {
    assertThat(DeltaPlan.sortParentsFirst(List.of("a/b", "a-b", "a", "a.b/c", "a.b")))
        .containsExactly("a", "a/b", "a-b", "a.b", "a.b/c");
  }

  @Test
  void aPassPacksExactlyItsEntriesAFullOneWithTheRootFirst() throws Exception {
    Files.createDirectories(upper.resolve("a"));
    Files.writeString(upper.resolve("a/x"), "x");
    TreeManifest before = TreeManifest.scan(upper);
    Files.writeString(upper.resolve("a/y"), "y");
    TreeManifest after = TreeManifest.scan(upper);
    assertThat(DeltaPlan.everything(after).toPack(true)).containsExactly(".", "a", "a/x", "a/y");
    assertThat(DeltaPlan.between(before, after).toPack(false)).contains("a/y").doesNotContain(".", "a/x");
  }
}
