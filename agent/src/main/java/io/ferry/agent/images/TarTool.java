package io.ferry.agent.images;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import io.ferry.common.process.Command;
import io.ferry.common.process.CommandException;
import io.ferry.common.process.CommandResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * GNU tar, run for the two jobs Java does badly or slowly: unpacking a canonical tar with numeric
 * owners, modes (setuid included), FIFOs and hard links, and packing a directory into a
 * deterministic tar.
 *
 * <p>Unpacking is only ever given a tar written by {@link ArchiveScanner}: validated, relative,
 * duplicate-free names, and no entry below a symlink, so GNU tar never has a symlink to follow.
 * When the agent is not root, owners cannot be kept: files then belong to the agent's user
 * ({@code --no-same-owner}), which is only good for development.
 *
 * <p>Every run has the configured timeout; a failure is INTERNAL with tar's own words (or
 * RESOURCE_EXHAUSTED when the disk is full), a timeout is TIMEOUT. Stateless and thread-safe.
 */
final class TarTool {

  private final Duration timeout;
  private final boolean preserveOwners;

  TarTool(Duration timeout, boolean preserveOwners) {
    this.timeout = timeout;
    this.preserveOwners = preserveOwners;
  }

  /** Unpacks {@code canonicalTar} into the existing directory {@code into}. */
  void extract(Path canonicalTar, Path into) {
    List<String> argv = new ArrayList<>(List.of(
        "tar",
        "--extract",
        "--file=" + canonicalTar,
        "--directory=" + into,
        "--force-local",
        "--numeric-owner",
        "--same-permissions",
        "--delay-directory-restore",
        "--warning=no-timestamp",
        "--warning=no-unknown-keyword"));
    argv.add(preserveOwners ? "--same-owner" : "--no-same-owner");
    run(argv, "unpack " + canonicalTar.getFileName());
  }

  /**
   * Packs {@code dir} into {@code out}: names sorted, numeric owners and no user names, GNU format
   * (no access or change times), one file system only (mounts inside are left out, sockets are
   * skipped). The same unchanged directory always gives the same bytes.
   */
  void create(Path dir, Path out) {
    run(
        List.of(
            "tar",
            "--create",
            "--file=" + out,
            "--directory=" + dir,
            "--force-local",
            "--sort=name",
            "--numeric-owner",
            "--format=gnu",
            "--one-file-system",
            "--warning=no-file-ignored",
            "."),
        "pack " + dir);
  }

  private void run(List<String> argv, String what) {
    CommandResult result;
    try {
      result = Command.of(argv).env("LC_ALL", "C").timeout(timeout).run();
    } catch (CommandException e) {
      Kind kind = e.timedOut() ? Kind.TIMEOUT : Kind.INTERNAL;
      throw new AgentException(kind, "tar could not " + what + ": " + e.getMessage(), e);
    }
    if (!result.succeeded()) {
      String output = result.output();
      Kind kind = output.contains("No space left on device") ? Kind.RESOURCE_EXHAUSTED : Kind.INTERNAL;
      throw new AgentException(kind, "tar could not " + what + " (exit " + result.exitCode() + "): " + tail(output));
    }
  }

  private static String tail(String output) {
    return output.length() <= 2000 ? output : "..." + output.substring(output.length() - 2000);
  }
}
