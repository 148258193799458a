package io.ferry.migration.target;

import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;

/**
 * The place of one incoming container on the target, held by its migration ({@link
 * TargetHost#reserve}). Methods block and throw {@link
 * io.ferry.migration.protocol.MigrationException} with the tools' words; {@link #discard()} and
 * {@link #adopt} are idempotent so rollback and recovery can repeat them.
 */
public interface IncomingSlot extends AutoCloseable {

  /** Where the received writable layer goes (created when missing). */
  Path upperDir();

  /** Where the received CRIU images go. */
  Path checkpointDir();

  /**
   * Empties {@link #checkpointDir()} (creating it when missing) for a new set of images and returns
   * it.
   */
  Path emptyCheckpointDir();

  /**
   * Makes the container's network here ahead of {@link #adopt}, isolated (nothing it would send
   * leaves the host, nothing reaches it) with exactly this address and MAC, so adopt finds it made.
   * Called once the first pass of the rootfs arrived, while the source still runs the container.
   * Idempotent; {@link #discard()} removes it. The default does nothing (adopt makes it).
   */
  default void prepareNetwork(String address, String mac) {}

  /**
   * Makes it a container of this host, not running: its record (from {@code spec}, the bytes of a
   * {@code ferry.v1.ContainerSpec}), rootfs overlay on the image, network namespace with exactly
   * this address and MAC.
   *
   * @param forRestore it will be restored from a checkpoint (else booted)
   */
  void adopt(byte[] spec, String imageDigest, String address, String mac, boolean forRestore);

  /** Boots it from its rootfs (cold, near-live). Returns a description for logs (pid). */
  String start();

  /**
   * Restores it from {@link #checkpointDir()}.
   *
   * @param lazyPagesPort post-copy: pages are pulled from {@code 127.0.0.1:port} after the restore
   * @return a description for logs, and for post-copy a future that completes when every page
   *     arrived (exceptionally when the page transfer failed)
   */
  Restored restore(boolean tcpEstablished, OptionalInt lazyPagesPort);

  /**
   * Starts a CRIU page server on {@code 127.0.0.1:port} writing a streamed dump's pages into
   * {@link #checkpointDir()}; returns once it listens.
   */
  PageServer servePages(int port);

  /** A running page server. */
  interface PageServer extends AutoCloseable {
    /** Waits until the dump disconnected and every page is written; throws when it failed. */
    void awaitDone(java.time.Duration timeout);

    @Override
    void close();
  }

  /** Kills and deletes whatever of the container exists here: runc container, network, rootfs, record. */
  void discard();

  /** Releases the name: the container (if adopted) is an ordinary container from now on. */
  @Override
  void close();

  record Restored(String description, CompletableFuture<Void> pagesDone) {}
}
