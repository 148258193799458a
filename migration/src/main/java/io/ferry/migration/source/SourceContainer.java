package io.ferry.migration.source;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The container being moved, held by its migration (see {@link SourceHost#take}). Every method
 * blocks until done and throws {@link io.ferry.migration.protocol.MigrationException} on failure,
 * with the words of runc, CRIU or ip. Methods that set a state are idempotent (freezing a frozen
 * container does nothing), so rollback and recovery can repeat them.
 */
public interface SourceContainer extends AutoCloseable {

  /** As the lifecycle sees it. */
  enum State {
    RUNNING,
    FROZEN,
    STOPPED,
    /** Anything else (error, checkpointed): rollback cannot bring it back by itself. */
    OTHER
  }

  String name();

  /** The SHA-256 of the image its rootfs is made from. */
  String imageDigest();

  State state();

  /** Memory it uses now (its cgroup's), 0 when unknown. */
  long memoryBytes();

  /** The writable layer of its rootfs (an overlay's upper directory). */
  Path upperDir();

  /** Stops it cleanly (SIGRTMIN+3 for systemd, SIGTERM otherwise), killing it after the timeout. */
  void stop();

  /** Starts it again (from STOPPED). */
  void start();

  /** Freezes every process (cgroup freezer). */
  void freeze();

  /** Thaws it (from FROZEN). */
  void unfreeze();

  /**
   * Sets the host side of its network link down (or up): while down, this host's kernel neither
   * receives nor acknowledges anything for the container's address, so TCP peers wait for the
   * copy on the target instead.
   */
  void setLinkUp(boolean up);

  /**
   * CRIU dump of the frozen container into {@code imageDir}, leaving it frozen (and intact) here.
   *
   * @return the images' size in bytes
   */
  long dump(Path imageDir, boolean tcpEstablished);

  /**
   * As {@link #dump}, with the memory pages sent to the CRIU page server at {@code
   * 127.0.0.1:pageServerPort} as they are read (the other images still go into {@code imageDir}).
   *
   * @return the size of the images written into {@code imageDir}
   */
  long dumpToPageServer(Path imageDir, boolean tcpEstablished, int pageServerPort);

  /**
   * CRIU dump for post-copy: everything but the memory pages into {@code imageDir}; then CRIU
   * serves the pages on {@code 127.0.0.1:pageServerPort} until the target has pulled them all.
   * Returns once the page server is ready. The container stays frozen here.
   */
  LazyDump dumpLazily(Path imageDir, boolean tcpEstablished, int pageServerPort);

  /** Deletes the container and everything it has on this host (the commit of a migration). */
  void destroy();

  /** Releases the container: other operations may run on it again. */
  @Override
  void close();

  /** A running post-copy dump: its page server. */
  interface LazyDump extends AutoCloseable {

    long imageBytes();

    /**
     * Waits until CRIU has served every page and exited.
     *
     * @throws io.ferry.migration.protocol.MigrationException when it failed or took too long
     */
    void awaitDone(Duration timeout);

    /** Kills the page server if it still runs; the container stays frozen. */
    @Override
    void close();
  }
}
