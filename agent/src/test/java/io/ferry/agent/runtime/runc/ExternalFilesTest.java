package io.ferry.agent.runtime.runc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExternalFilesTest {

  @Test
  void keysAreCriusHexFormat() {
    // Seen here: mnt_id 27, inode 2147549 -> file[1b:20c4dd], accepted by CRIU 4.2.1.
    assertThat(ExternalFiles.key(27, 2147549)).isEqualTo("file[1b:20c4dd]");
  }

  @Test
  void readsMountIdFromFdinfo() {
    assertThat(ExternalFiles.mountId("pos:\t21\nflags:\t0102001\nmnt_id:\t27\nino:\t2147549\n")).isEqualTo(27);
    assertThatThrownBy(() -> ExternalFiles.mountId("pos:\t0\n")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void configLinesForDumpAndRestore() {
    assertThat(ExternalFiles.dumpLines(List.of("file[1b:20c4dd]"))).containsExactly("external file[1b:20c4dd]");
    assertThat(ExternalFiles.restoreLines(List.of("file[1b:20c4dd]", "file[2:3]")))
        .containsExactly("inherit-fd fd[1]:file[1b:20c4dd]", "inherit-fd fd[2]:file[2:3]");
    assertThat(ExternalFiles.restoreLines(List.of())).isEmpty();
    assertThatThrownBy(() -> ExternalFiles.restoreLines(List.of("a", "b", "c"))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void metadataRoundTrips(@TempDir Path images) throws Exception {
    assertThat(ExternalFiles.readMetadata(images)).isEmpty();
    ExternalFiles.writeMetadata(images, List.of("file[1b:20c4dd]"));
    assertThat(ExternalFiles.readMetadata(images)).containsExactly("file[1b:20c4dd]");
  }

  @Test
  void findsTheConsoleAmongOpenDescriptors(@TempDir Path dir) throws Exception {
    Path console = Files.writeString(dir.resolve("console.log"), "boot\n");
    Path other = Files.writeString(dir.resolve("other"), "x");
    Path proc = Files.createDirectories(dir.resolve("proc"));
    fd(proc, 100, 1, console, 27);
    fd(proc, 100, 2, console, 27);
    fd(proc, 100, 3, other, 27);
    fd(proc, 200, 1, console, 41);
    long inode = ((Number) Files.getAttribute(console, "unix:ino")).longValue();

    List<String> keys = ExternalFiles.keys(console, List.of(100, 200, 300), proc);

    assertThat(keys).containsExactly(ExternalFiles.key(27, inode), ExternalFiles.key(41, inode));
    assertThat(ExternalFiles.keys(dir.resolve("absent.log"), List.of(100), proc)).isEmpty();
  }

  private static void fd(Path proc, int pid, int fd, Path target, int mountId) throws Exception {
    Path fds = Files.createDirectories(proc.resolve(pid + "/fd"));
    Path infos = Files.createDirectories(proc.resolve(pid + "/fdinfo"));
    Files.createSymbolicLink(fds.resolve(Integer.toString(fd)), target);
    Files.writeString(infos.resolve(Integer.toString(fd)), "pos:\t0\nflags:\t0102001\nmnt_id:\t" + mountId + "\n");
  }
}
