package io.ferry.common.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandTest {

  @Test
  void capturesOutputAndExitCode() {
    CommandResult r = Command.of("sh", "-c", "echo out; echo err >&2; exit 3").run();

    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(r.stdout()).isEqualTo("out\n");
    assertThat(r.stderr()).isEqualTo("err\n");
    assertThat(r.output()).isEqualTo("out\nerr");
  }

  @Test
  void checkRaisesWithTheToolsOwnWords() {
    assertThatThrownBy(() -> Command.of("sh", "-c", "echo 'no such container' >&2; exit 1").check())
        .isInstanceOf(CommandException.class)
        .hasMessageContaining("exited 1")
        .hasMessageContaining("no such container")
        .satisfies(e -> assertThat(((CommandException) e).exitCode()).isEqualTo(1));
  }

  @Test
  void feedsStdin() {
    CommandResult r = Command.of("cat").input("hello".getBytes(StandardCharsets.UTF_8)).check();
    assertThat(r.stdout()).isEqualTo("hello");
  }

  @Test
  void killsTheWholeTreeOnTimeout() {
    long start = System.nanoTime();
    assertThatThrownBy(
            () -> Command.of("sh", "-c", "sleep 30 & echo started >&2; wait").timeout(Duration.ofMillis(300)).run())
        .isInstanceOf(CommandException.class)
        .hasMessageContaining("timed out after 300 ms")
        .satisfies(e -> assertThat(((CommandException) e).timedOut()).isTrue());
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void doesNotWaitForADaemonThatKeepsItsStdioOpen() {
    // A detached child inherits the runner's stdout; with pipes the read would block ~20 s.
    CommandResult r =
        Command.of("sh", "-c", "(sleep 20 &) ; echo parent-done").timeout(Duration.ofSeconds(5)).check();
    assertThat(r.stdout()).isEqualTo("parent-done\n");
  }

  @Test
  void redirectsToFilesWhenAsked(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("console.log");
    Path err = dir.resolve("errors.log");
    Files.writeString(out, "earlier\n");
    Files.writeString(err, "old error\n");

    CommandResult r = Command.of("sh", "-c", "echo a; echo b >&2; exit 2").stdoutTo(out).stderrTo(err).run();

    assertThat(r.stdout()).isEmpty();
    assertThat(r.stderr()).as("only what this run appended").isEqualTo("b\n");
    assertThat(Files.readString(out)).isEqualTo("earlier\na\n");
    assertThat(Files.readString(err)).isEqualTo("old error\nb\n");
  }

  @Test
  void aMissingProgramIsAClearError() {
    assertThatThrownBy(() -> Command.of("/nonexistent/runc", "state").run())
        .isInstanceOf(CommandException.class)
        .hasMessageContaining("cannot run")
        .hasMessageContaining("/nonexistent/runc");
  }
}
