package io.ferry.agent.runtime;

import java.nio.file.Path;

/**
 * The optional checkpoint/restore capability of a {@link ContainerRuntime} (CRIU for runc). Get it
 * with {@link ContainerRuntime#checkpointer()}; {@link RuntimeCapabilities#checkpoint()} says
 * whether it is there.
 *
 * <p>What survives a checkpoint and restore: the processes with their memory, open files, pipes,
 * sockets (established TCP only with the option), the tmpfs mounts' contents, the container's id.
 * What does not: the root filesystem is not part of the images (the caller keeps it or moves it);
 * a network namespace given as a path is the caller's (the restored container joins the one named
 * in the restore spec); the creation time is the restore's (the runtime sees a new container).
 *
 * <p>Threading: as for {@link ContainerRuntime}: callers serialize operations on one container.
 * Checkpointing a container while an {@link ContainerRuntime#exec} runs in it fails (the exec's
 * pipes lead outside the container).
 */
public interface Checkpointer {

  /**
   * Dumps a running (or paused) container into {@code imageDir}. A paused container stays paused
   * when left running; its restore comes back running, not paused.
   *
   * @param id the container
   * @param imageDir an existing, empty directory that receives the images; it can be sent to
   *     another host and restored there
   * @param options what to dump and whether the container keeps running
   * @return where the images are and how large and slow the checkpoint was
   * @throws io.ferry.agent.AgentException NOT_FOUND for an unknown id, FAILED_PRECONDITION when
   *     the container is not running or paused, INVALID_ARGUMENT when {@code imageDir} is not an
   *     empty directory, INTERNAL when the dump fails (the message carries the tool's error and the
   *     end of its log; the container then keeps running), TIMEOUT
   */
  CheckpointResult checkpoint(String id, Path imageDir, CheckpointOptions options);

  /**
   * Brings a checkpointed container back, running and detached, on this host.
   *
   * @param spec the container as it should run now: same id, a root filesystem with the content
   *     the checkpoint expects (at the same path as at checkpoint time), and possibly another
   *     network namespace path, console log or limits
   * @param imageDir the images written by {@link #checkpoint}
   * @param options must match the checkpoint's options
   * @return the restored container's state
   * @throws io.ferry.agent.AgentException ALREADY_EXISTS when a container with this id exists,
   *     INVALID_ARGUMENT for a missing image directory, root filesystem or network namespace,
   *     INTERNAL when the restore fails (with the tool's error and the end of its log; nothing is
   *     left running), TIMEOUT
   */
  RuntimeState restore(RuntimeSpec spec, Path imageDir, RestoreOptions options);
}
