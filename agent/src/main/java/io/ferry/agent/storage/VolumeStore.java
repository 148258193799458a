package io.ferry.agent.storage;

import java.nio.file.Path;
import java.util.List;

/**
 * Where containers' root filesystems live: each one the image's tree (read-only) plus the
 * container's own writable layer, with snapshots and copies of that layer. {@link RootfsStore}
 * does it with overlayfs; tests use an in-memory one.
 *
 * <p>Contract for every implementation: callers serialize operations per container; a running
 * container is frozen by the caller before its layer is snapshotted or copied; a failed call
 * leaves the previous state.
 */
public interface VolumeStore {

  /** Where the container's files are (its record, console log, checkpoint live there too). */
  ContainerPaths paths(String name);

  /** Makes the rootfs available over {@code imageRootfs}; idempotent. Returns its path. */
  Path mount(String name, Path imageRootfs);

  boolean isMounted(String name);

  /** Idempotent; the container must not be running. */
  void unmount(String name);

  /** Bytes in the container's writable layer. */
  long diskUsage(String name);

  /** Unmounts and deletes everything the container has on disk. */
  void remove(String name);

  SnapshotInfo createSnapshot(String name, String snapshot);

  List<SnapshotInfo> listSnapshots(String name);

  /** Replaces the writable layer with the snapshot's; the rootfs must be unmounted. */
  void restoreSnapshot(String name, String snapshot);

  void deleteSnapshot(String name, String snapshot);

  /** Gives {@code target} a copy of {@code source}'s writable layer. */
  void copyLayer(String source, String target);

  /** Deletes the checkpoint directory and what it holds; idempotent. */
  void deleteCheckpoint(String name);

  /**
   * As {@link #deleteCheckpoint}, but the caller need not wait for the files to go: after a
   * restore, whose answer ends a migration's frozen window, a gigabyte of pages takes 100 ms or more
   * to delete. The directory is free for new images when this returns. By default, deletes now.
   */
  default void deleteCheckpointSoon(String name) {
    deleteCheckpoint(name);
  }
}
