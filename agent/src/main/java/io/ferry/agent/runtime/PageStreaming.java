package io.ferry.agent.runtime;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The optional page-streaming capability of a {@link Checkpointer}: a dump that sends the memory
 * pages to a CRIU page server as it reads them, instead of writing them into image files, and the
 * page server that receives them on the other host. Both talk over {@code 127.0.0.1:port} only;
 * the caller carries that connection between hosts. The dump's other images (small) are still
 * written into its image directory; the two halves together restore as one checkpoint.
 */
public interface PageStreaming {

  /**
   * As {@link Checkpointer#checkpoint}, with the pages sent to the page server at {@code
   * 127.0.0.1:pageServerPort} (which must be listening).
   *
   * @return the images written locally (without the pages)
   */
  CheckpointResult checkpointToPageServer(String id, Path imageDir, CheckpointOptions options, int pageServerPort);

  /**
   * Starts a CRIU page server on {@code 127.0.0.1:port} that writes what one dump sends into
   * {@code imageDir}; returns once it listens. It serves one connection and exits.
   *
   * @throws io.ferry.agent.AgentException INTERNAL (with CRIU's words), TIMEOUT
   */
  PageServer receivePages(Path imageDir, int port, Duration timeout);

  /** A running page server. */
  interface PageServer extends AutoCloseable {

    /**
     * Waits until the dump disconnected and every page is written.
     *
     * @throws io.ferry.agent.AgentException INTERNAL when it failed, TIMEOUT
     */
    void awaitDone(Duration timeout);

    /** Kills it if it still runs. */
    @Override
    void close();
  }
}
