package io.ferry.agent.runtime;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The optional post-copy capability of a {@link Checkpointer} (CRIU lazy pages): a dump that
 * leaves the memory pages in the dumped processes and serves them, and a restore that resumes at
 * once and pulls its pages on demand. Both ends talk over {@code 127.0.0.1:port} only (CRIU's page
 * server and lazy-pages daemon are never reachable from another host); the caller carries that
 * connection between hosts.
 *
 * <p>The restoring host needs userfaultfd and {@code fs.pipe-max-size} of at least 4 MiB (CRIU's
 * page pipes).
 */
public interface LazyCheckpointer {

  /**
   * Dumps a running or paused container except its memory pages into {@code imageDir}, then
   * serves the pages on {@code 127.0.0.1:pageServerPort}. Returns once the images are written and
   * the page server listens. With {@code leaveRunning}, a paused container stays paused (and intact)
   * after the pages were served.
   *
   * @param timeout how long the whole dump, page serving included, may take
   * @throws io.ferry.agent.AgentException as {@link Checkpointer#checkpoint}
   */
  LazyDump checkpointLazily(String id, Path imageDir, CheckpointOptions options, int pageServerPort, Duration timeout);

  /**
   * Restores as {@link Checkpointer#restore}, with CRIU's lazy-pages daemon pulling the pages from
   * {@code 127.0.0.1:pageServerPort}: the container runs when this returns, its pages arrive after.
   *
   * @throws io.ferry.agent.AgentException as {@link Checkpointer#restore}
   */
  LazyRestore restoreLazily(RuntimeSpec spec, Path imageDir, RestoreOptions options, int pageServerPort, Duration timeout);

  /** A dump whose page server is running. */
  interface LazyDump extends AutoCloseable {

    /** The images written (the pages excluded). */
    CheckpointResult images();

    /**
     * Waits until every page was served and CRIU exited.
     *
     * @throws io.ferry.agent.AgentException INTERNAL (with the end of CRIU's log), TIMEOUT
     */
    void awaitDone(Duration timeout);

    /** Kills the dump if it still runs. */
    @Override
    void close();
  }

  /**
   * A restored container whose pages are still arriving.
   *
   * @param pagesDone completes when the lazy-pages daemon fetched every page and exited;
   *     exceptionally (with the end of its log) when it failed
   */
  record LazyRestore(RuntimeState state, CompletableFuture<Void> pagesDone) {}
}
