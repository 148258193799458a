package io.ferry.migration.transfer;

import io.ferry.common.process.Command;
import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GNU tar as a stream, for writable layers and CRIU image directories: {@link #pack} reads a tree
 * (or a list of its entries) into a stream, {@link #unpack} writes a stream into a tree. Owners
 * numeric, modes, times, sparse files, hard links, device nodes (overlayfs whiteouts) and every
 * extended attribute (overlayfs's {@code trusted.overlay.*}, capabilities, ACLs) are kept; Java
 * cannot read {@code trusted.*} attributes, so tar does the work.
 *
 * <p>Each run has a deadline: past it, tar is killed with its children and the stream fails.
 * Failures are {@link MigrationException}s (INTERNAL with the end of tar's stderr, TIMEOUT).
 */
public final class TarStreams {

  private static final Logger log = LoggerFactory.getLogger(TarStreams.class);

  private static final List<String> COMMON =
      List.of("--numeric-owner", "--xattrs", "--xattrs-include=*", "--sparse", "--one-file-system");

  private static final ScheduledExecutorService WATCHDOG =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tar-watchdog");
        t.setDaemon(true);
        return t;
      });

  private final String tar;
  private final Path scratch;

  /**
   * @param tar the GNU tar binary
   * @param scratch a directory for tar's captured stderr
   */
  public TarStreams(String tar, Path scratch) {
    this.tar = tar;
    this.scratch = scratch;
  }

  public TarStreams(Path scratch) {
    this("tar", scratch);
  }

  /**
   * Starts packing {@code root}: everything under it, or only {@code entries} (relative paths,
   * without recursion, in the order given).
   *
   * @param liveTree the tree may change while it is read (a running container): tar's "file
   *     changed as we read it" exit status is then accepted (a later pass sends the file again),
   *     and a listed entry that is gone by the time tar reaches it is skipped (it was deleted after
   *     the list was made: the next pass lists it as deleted). As root, a skipped read is a vanished
   *     file; any other failure of tar still fails the stream.
   */
  public Packing pack(Path root, Optional<List<String>> entries, boolean liveTree, Duration timeout) {
    List<String> argv = new ArrayList<>(List.of(tar, "--create", "--file=-", "--directory=" + root));
    argv.addAll(COMMON);
    argv.addAll(List.of("--warning=no-file-changed", "--warning=no-file-removed", "--warning=no-file-ignored"));
    if (entries.isPresent()) {
      if (liveTree) {
        argv.add("--ignore-failed-read");
      }
      argv.addAll(List.of("--no-recursion", "--null", "--verbatim-files-from", "--files-from=-"));
    } else {
      argv.add(".");
    }
    Running running = start(argv, "pack " + root, timeout);
    if (entries.isPresent()) {
      List<String> names = entries.get();
      Thread feeder = new Thread(() -> {
        try (OutputStream in = running.process.getOutputStream()) {
          for (String name : names) {
            in.write(name.getBytes(StandardCharsets.UTF_8));
            in.write(0);
          }
        } catch (IOException e) {
          log.debug("tar stopped reading its file list: {}", e.getMessage());
        }
      }, "tar-files");
      feeder.setDaemon(true);
      feeder.start();
    } else {
      closeQuietly(running.process.getOutputStream());
    }
    return new Packing(running, liveTree);
  }

  /** Starts unpacking into {@code root}, which must exist; write the tar into {@link Unpacking#input()}. */
  public Unpacking unpack(Path root, Duration timeout) {
    List<String> argv = new ArrayList<>(List.of(tar, "--extract", "--file=-", "--directory=" + root,
        "--preserve-permissions", "--same-owner"));
    argv.addAll(COMMON);
    Running running = start(argv, "unpack into " + root, timeout);
    closeQuietly(running.process.getInputStream());
    return new Unpacking(running);
  }

  private Running start(List<String> argv, String what, Duration timeout) {
    try {
      Files.createDirectories(scratch);
      Path stderr = Files.createTempFile(scratch, "tar-", ".err");
      Process process = new ProcessBuilder(argv).redirectError(stderr.toFile()).start();
      Running running = new Running(process, stderr, what);
      running.watchdog = WATCHDOG.schedule(() -> {
        if (process.isAlive()) {
          running.timedOut.set(true);
          log.warn("tar {} exceeded its {} ms deadline: killed", what, timeout.toMillis());
          Command.killTree(process);
        }
      }, timeout.toMillis(), TimeUnit.MILLISECONDS);
      return running;
    } catch (IOException e) {
      throw MigrationException.internal("cannot start tar to " + what + ": " + e.getMessage(), e);
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // nothing to do
    }
  }

  private static final class Running {
    final Process process;
    final Path stderr;
    final String what;
    final AtomicBoolean timedOut = new AtomicBoolean();
    ScheduledFuture<?> watchdog;

    Running(Process process, Path stderr, String what) {
      this.process = process;
      this.stderr = stderr;
      this.what = what;
    }

    /** Waits for the exit; returns its status. Kills and throws TIMEOUT past the deadline. */
    int await() {
      try {
        int status = process.waitFor();
        if (timedOut.get()) {
          throw new MigrationException(Kind.TIMEOUT, "tar took too long to " + what + ": killed");
        }
        return status;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        kill();
        throw new MigrationException(Kind.ABORTED, "interrupted while tar was to " + what);
      } finally {
        watchdog.cancel(false);
      }
    }

    MigrationException failure(int status) {
      return new MigrationException(Kind.INTERNAL, "tar failed to " + what + " (exit " + status + "): " + stderrTail());
    }

    String stderrTail() {
      try {
        String text = Files.readString(stderr).strip();
        return text.length() > 2000 ? "..." + text.substring(text.length() - 2000) : text;
      } catch (IOException e) {
        return "(stderr unreadable: " + e.getMessage() + ")";
      }
    }

    void kill() {
      Command.killTree(process);
      watchdog.cancel(false);
    }

    void cleanUp() {
      try {
        Files.deleteIfExists(stderr);
      } catch (IOException e) {
        log.debug("cannot delete {}: {}", stderr, e.getMessage());
      }
    }
  }

  /** A tar being written: read {@link #output()} to its end, then call {@link #finish()}. */
  public static final class Packing implements AutoCloseable {
    private final Running running;
    private final boolean liveTree;

    private Packing(Running running, boolean liveTree) {
      this.running = running;
      this.liveTree = liveTree;
    }

    public InputStream output() {
      return running.process.getInputStream();
    }

    /**
     * Waits for tar to exit and checks its status.
     *
     * @throws MigrationException INTERNAL with tar's stderr, TIMEOUT
     */
    public void finish() {
      int status = running.await();
      if (status == 0 || (status == 1 && liveTree)) {
        running.cleanUp();
        return;
      }
      throw running.failure(status);
    }

    /** Kills tar if it still runs (after a failure or a cancel). */
    @Override
    public void close() {
      if (running.process.isAlive()) {
        running.kill();
      }
      running.cleanUp();
    }
  }

  /** A tar being read: write the archive into {@link #input()}, then call {@link #finish()}. */
  public static final class Unpacking implements Unpacker {
    private final Running running;

    private Unpacking(Running running) {
      this.running = running;
    }

    @Override
    public OutputStream input() {
      return running.process.getOutputStream();
    }

    /**
     * Closes the input, waits for tar to exit and checks its status.
     *
     * @throws MigrationException INTERNAL with tar's stderr (a corrupt or truncated archive, a full
     *     disk), TIMEOUT
     */
    @Override
    public void finish() {
      try {
        running.process.getOutputStream().close();
      } catch (IOException e) {
        // tar exited early: its status says why
      }
      int status = running.await();
      if (status != 0) {
        throw running.failure(status);
      }
      running.cleanUp();
    }

    /** The end of tar's stderr, for a write that failed because tar exited early. */
    @Override
    public String problems() {
      return running.stderrTail();
    }

    @Override
    public void close() {
      if (running.process.isAlive()) {
        running.kill();
      }
      running.cleanUp();
    }
  }
}
