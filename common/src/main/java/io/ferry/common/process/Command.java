package io.ferry.common.process;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of an external program (runc, criu, ip, ...) with a mandatory timeout.
 *
 * <p>Output is captured through temporary files, not pipes: a program that leaves a daemon behind
 * (e.g. {@code runc run -d}, whose container inherits the runner's stdio) would otherwise hold the
 * pipe open and the read would never end. Callers that want a long-lived child to write elsewhere
 * redirect it with {@link #stdoutTo}/{@link #stderrTo}. No file descriptor of this JVM other than
 * stdio is inherited by the child (Java's process spawning closes them).
 *
 * <p>On timeout the process and all its descendants are killed with SIGKILL and a {@link
 * CommandException} with {@code timedOut() == true} is thrown. Instances are immutable; {@link
 * #run()} may be called from any thread.
 */
public final class Command {

  private static final Logger log = LoggerFactory.getLogger(Command.class);

  /** Captured output beyond this is cut; commands Ferry runs print far less. */
  private static final int MAX_CAPTURE_BYTES = 16 << 20;

  private static final int STDERR_TAIL_CHARS = 2000;

  private final List<String> argv;
  private final Duration timeout;
  private final byte[] input;
  private final Path directory;
  private final Map<String, String> environment;
  private final Path stdoutFile;
  private final Path stderrFile;

  private Command(
      List<String> argv,
      Duration timeout,
      byte[] input,
      Path directory,
      Map<String, String> environment,
      Path stdoutFile,
      Path stderrFile) {
    this.argv = List.copyOf(argv);
    this.timeout = timeout;
    this.input = input;
    this.directory = directory;
    this.environment = Map.copyOf(environment);
    this.stdoutFile = stdoutFile;
    this.stderrFile = stderrFile;
  }

  /** A command with a default timeout of 30 s; set a tighter one with {@link #timeout}. */
  public static Command of(List<String> argv) {
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("a command needs a program");
    }
    return new Command(argv, Duration.ofSeconds(30), null, null, Map.of(), null, null);
  }

  public static Command of(String... argv) {
    return of(List.of(argv));
  }

  public Command timeout(Duration newTimeout) {
    if (newTimeout.isNegative() || newTimeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + newTimeout);
    }
    return new Command(argv, newTimeout, input, directory, environment, stdoutFile, stderrFile);
  }

  /** Bytes written to the program's stdin, which is then closed. Without it stdin is empty. */
  public Command input(byte[] bytes) {
    return new Command(argv, timeout, bytes.clone(), directory, environment, stdoutFile, stderrFile);
  }

  public Command directory(Path dir) {
    return new Command(argv, timeout, input, dir, environment, stdoutFile, stderrFile);
  }

  /** Adds or replaces one environment variable of the child (the rest is inherited). */
  public Command env(String key, String value) {
    Map<String, String> env = new LinkedHashMap<>(environment);
    env.put(key, value);
    return new Command(argv, timeout, input, directory, env, stdoutFile, stderrFile);
  }

  /** Appends stdout to {@code file} instead of capturing it; the result's stdout is then empty. */
  public Command stdoutTo(Path file) {
    return new Command(argv, timeout, input, directory, environment, file, stderrFile);
  }

  /** Appends stderr to {@code file}; the result's stderr is then read back from the new part. */
  public Command stderrTo(Path file) {
    return new Command(argv, timeout, input, directory, environment, stdoutFile, file);
  }

  public List<String> argv() {
    return argv;
  }

  /**
   * Runs the program to completion. A non-zero exit is returned, not thrown.
   *
   * @throws CommandException when the program cannot be started or exceeds the timeout
   */
  public CommandResult run() {
    long started = System.nanoTime();
    Path outCapture = null;
    Path errCapture = null;
    try {
      ProcessBuilder builder = new ProcessBuilder(argv);
      if (directory != null) {
        builder.directory(directory.toFile());
      }
      builder.environment().putAll(environment);
      if (stdoutFile != null) {
        builder.redirectOutput(ProcessBuilder.Redirect.appendTo(stdoutFile.toFile()));
      } else {
        outCapture = Files.createTempFile("ferry-cmd-", ".out");
        builder.redirectOutput(outCapture.toFile());
      }
      long errOffset = 0;
      if (stderrFile != null) {
        errOffset = Files.exists(stderrFile) ? Files.size(stderrFile) : 0;
        builder.redirectError(ProcessBuilder.Redirect.appendTo(stderrFile.toFile()));
      } else {
        errCapture = Files.createTempFile("ferry-cmd-", ".err");
        builder.redirectError(errCapture.toFile());
      }
      if (input == null) {
        builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      }
      Process process = start(builder);
      if (input != null) {
        try (OutputStream stdin = process.getOutputStream()) {
          stdin.write(input);
        } catch (IOException e) {
          // The program exited without reading all of its input: its exit code tells the rest.
          log.debug("stdin of {} closed early: {}", argv.get(0), e.getMessage());
        }
      }
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        killTree(process);
        String err = read(errCapture != null ? errCapture : stderrFile, errCapture != null ? 0 : errOffset);
        throw new CommandException(
            argv,
            CommandException.NO_EXIT_CODE,
            err,
            true,
            describe() + " timed out after " + timeout.toMillis() + " ms" + tail(err),
            null);
      }
      String out = outCapture == null ? "" : read(outCapture, 0);
      String err = read(errCapture != null ? errCapture : stderrFile, errCapture != null ? 0 : errOffset);
      Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
      log.debug("{} exited {} in {} ms", describe(), process.exitValue(), elapsed.toMillis());
      return new CommandResult(argv, process.exitValue(), out, err, elapsed);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CommandException(
          argv, CommandException.NO_EXIT_CODE, "", false, describe() + " interrupted", e);
    } catch (IOException e) {
      throw new CommandException(
          argv, CommandException.NO_EXIT_CODE, "", false, describe() + " failed: " + e.getMessage(), e);
    } finally {
      deleteQuietly(outCapture);
      deleteQuietly(errCapture);
    }
  }

  /**
   * Runs the program and requires exit code 0.
   *
   * @throws CommandException on a non-zero exit (with stderr's tail in the message), a timeout or a
   *     failure to start
   */
  public CommandResult check() {
    CommandResult result = run();
    if (!result.succeeded()) {
      throw new CommandException(
          argv,
          result.exitCode(),
          result.stderr(),
          false,
          describe() + " exited " + result.exitCode() + tail(result.output()),
          null);
    }
    return result;
  }

  private Process start(ProcessBuilder builder) throws IOException {
    try {
      return builder.start();
    } catch (IOException e) {
      throw new CommandException(
          argv, CommandException.NO_EXIT_CODE, "", false, "cannot run " + describe() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Kills {@code process} and all its descendants with SIGKILL and waits up to 5 s for it to go;
   * for callers that manage a {@link Process} themselves (streaming output) and must clean up the
   * same way a timed-out command is.
   */
  public static void killTree(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String read(Path file, long offset) throws IOException {
    if (file == null || !Files.exists(file)) {
      return "";
    }
    try (InputStream in = Files.newInputStream(file)) {
      in.skipNBytes(Math.min(offset, Files.size(file)));
      return new String(in.readNBytes(MAX_CAPTURE_BYTES), StandardCharsets.UTF_8);
    }
  }

  private static String tail(String text) {
    String trimmed = Objects.requireNonNullElse(text, "").strip();
    if (trimmed.isEmpty()) {
      return "";
    }
    if (trimmed.length() > STDERR_TAIL_CHARS) {
      trimmed = "..." + trimmed.substring(trimmed.length() - STDERR_TAIL_CHARS);
    }
    return ": " + trimmed;
  }

  private String describe() {
    List<String> shown = new ArrayList<>(argv.subList(0, Math.min(argv.size(), 4)));
    return "'" + String.join(" ", shown) + (argv.size() > 4 ? " ..." : "") + "'";
  }

  private static void deleteQuietly(Path file) {
    if (file == null) {
      return;
    }
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      log.warn("cannot delete temporary file {}: {}", file, e.getMessage());
    }
  }
}
