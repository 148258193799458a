package io.ferry.agent.storage;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import io.ferry.common.process.Command;
import io.ferry.common.process.CommandException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Containers' root filesystems: an overlay of the image's unpacked tree (read-only lower) and the
 * container's own writable layer (upper), plus snapshots and copies of that layer.
 *
 * <p>Only the upper layer is ever copied: creating a container costs a mount, a snapshot or a
 * copy costs what the container wrote, never the image. Copies use {@code cp -a --reflink=auto}
 * (owners, modes, xattrs, hard links and sparse files kept).
 *
 * <p>Contract: callers serialize operations per container (the lifecycle's per-container lock);
 * different containers may be handled concurrently. Snapshotting a running container requires the
 * caller to freeze it first so the copy is consistent. Every multi-step change writes into a
 * temporary sibling and renames it into place, so a failure leaves the previous state.
 */
public final class RootfsStore implements VolumeStore {

  private static final Logger log = LoggerFactory.getLogger(RootfsStore.class);

  private final Path containersRoot;
  private final Duration commandTimeout;
  private final Clock clock;
  private final ObjectMapper json =
      new ObjectMapper().registerModule(new JavaTimeModule()).disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

  public RootfsStore(Path containersRoot, Duration commandTimeout, Clock clock) {
    this.containersRoot = containersRoot;
    this.commandTimeout = commandTimeout;
    this.clock = clock;
  }

  @Override
  public ContainerPaths paths(String name) {
    return new ContainerPaths(containersRoot, name);
  }

  /**
   * Makes sure the container's overlay is mounted over {@code imageRootfs}; idempotent (an agent
   * restart finds it mounted and leaves it).
   *
   * @return the mounted rootfs directory
   */
  @Override
  public Path mount(String name, Path imageRootfs) {
    ContainerPaths p = paths(name);
    try {
      Files.createDirectories(p.upper());
      Files.createDirectories(p.work());
      Files.createDirectories(p.rootfs());
    } catch (IOException e) {
      throw AgentException.internal("cannot create the layer directories of " + name + ": " + e.getMessage(), e);
    }
    if (Mounts.isMountPoint(p.rootfs())) {
      return p.rootfs();
    }
    run(
        "mount the rootfs of " + name,
        "mount", "-t", "overlay", "overlay",
        "-o", "lowerdir=" + imageRootfs + ",upperdir=" + p.upper() + ",workdir=" + p.work(),
        p.rootfs().toString());
    log.debug("container={} rootfs mounted over {}", name, imageRootfs);
    return p.rootfs();
  }

  @Override
  public boolean isMounted(String name) {
    return Mounts.isMountPoint(paths(name).rootfs());
  }

  /** Unmounts the overlay; idempotent. The container must not be running. */
  @Override
  public void unmount(String name) {
    Path rootfs = paths(name).rootfs();
    if (Mounts.isMountPoint(rootfs)) {
      run("unmount the rootfs of " + name, "umount", rootfs.toString());
    }
  }

  /** Bytes the container's writable layer holds (apparent sizes; hard links counted once). */
  @Override
  public long diskUsage(String name) {
    return treeSize(paths(name).upper());
  }

  /** Unmounts and deletes everything the container has on disk, snapshots included. */
  @Override
  public void remove(String name) {
    unmount(name);
    deleteCheckpoint(name);
    deleteTree(paths(name).dir());
  }

  @Override
  public void deleteCheckpoint(String name) {
    deleteTree(paths(name).checkpoint());
  }

  /**
   * Renames the checkpoint directory aside (within the container's directory, so removing the
   * container removes it too) and deletes it on another thread; a failure there is logged, and
   * the container's removal takes what is left.
   */
  @Override
  public void deleteCheckpointSoon(String name) {
    Path images = paths(name).checkpoint();
    Path aside = images.resolveSibling(images.getFileName() + ".deleting-" + UUID.randomUUID());
    try {
      Files.move(images, aside, StandardCopyOption.ATOMIC_MOVE);
    } catch (NoSuchFileException e) {
      return;
    } catch (IOException e) {
      deleteCheckpoint(name);
      return;
    }
    CompletableFuture.runAsync(() -> {
      try {
        run("delete " + aside, "rm", "-rf", "--one-file-system", aside.toString());
      } catch (AgentException e) {
        log.warn("container={} old checkpoint images {} not deleted: {}", name, aside, e.getMessage());
      }
    });
  }

  /**
   * Copies the writable layer into snapshot {@code snapshot}. The container must be stopped or
   * frozen by the caller.
   *
   * @throws AgentException ALREADY_EXISTS when the snapshot exists
   */
  @Override
  public SnapshotInfo createSnapshot(String name, String snapshot) {
    ContainerPaths p = paths(name);
    Path target = p.snapshot(snapshot);
    if (Files.exists(target)) {
      throw new AgentException(Kind.ALREADY_EXISTS, "snapshot " + name + "/" + snapshot + " already exists");
    }
    Path temp = p.snapshots().resolve(".tmp-" + UUID.randomUUID());
    try {
      Files.createDirectories(temp);
      copyTree(p.upper(), temp.resolve("upper"));
      SnapshotInfo info = new SnapshotInfo(name, snapshot, clock.instant(), treeSize(temp.resolve("upper")));
      json.writeValue(temp.resolve("snapshot.json").toFile(), info);
      Files.move(temp, target);
      return info;
    } catch (IOException e) {
      throw AgentException.internal("cannot snapshot " + name + ": " + e.getMessage(), e);
    } finally {
      deleteTree(temp);
    }
  }

  @Override
  public List<SnapshotInfo> listSnapshots(String name) {
    Path dir = paths(name).snapshots();
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<SnapshotInfo> snapshots = new ArrayList<>();
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path entry : entries.filter(e -> !e.getFileName().toString().startsWith(".")).toList()) {
        snapshots.add(json.readValue(entry.resolve("snapshot.json").toFile(), SnapshotInfo.class));
      }
    } catch (IOException e) {
      throw AgentException.internal("cannot list snapshots of " + name + ": " + e.getMessage(), e);
    }
    snapshots.sort(Comparator.comparing(SnapshotInfo::createdAt).thenComparing(SnapshotInfo::name));
    return snapshots;
  }

  /**
   * Replaces the writable layer with the snapshot's copy. The container must be stopped and its
   * rootfs unmounted by the caller; the previous layer is discarded only once the copy succeeded.
   */
  @Override
  public void restoreSnapshot(String name, String snapshot) {
    ContainerPaths p = paths(name);
    Path source = requireSnapshot(p, snapshot).resolve("upper");
    if (Mounts.isMountPoint(p.rootfs())) {
      throw AgentException.precondition("the rootfs of " + name + " is still mounted");
    }
    replaceUpper(p, source);
  }

  @Override
  public void deleteSnapshot(String name, String snapshot) {
    deleteTree(requireSnapshot(paths(name), snapshot));
  }

  /**
   * Gives container {@code target} a copy of {@code source}'s writable layer (and nothing else:
   * no snapshots, no checkpoint). {@code source} must be stopped or frozen by the caller.
   */
  @Override
  public void copyLayer(String source, String target) {
    ContainerPaths to = paths(target);
    if (Files.exists(to.upper())) {
      throw new AgentException(Kind.ALREADY_EXISTS, "container " + target + " already has a root filesystem");
    }
    try {
      Files.createDirectories(to.dir());
    } catch (IOException e) {
      throw AgentException.internal("cannot create " + to.dir() + ": " + e.getMessage(), e);
    }
    replaceUpper(to, paths(source).upper());
  }

  private void replaceUpper(ContainerPaths p, Path source) {
    Path fresh = p.dir().resolve(".upper-" + UUID.randomUUID());
    Path old = p.dir().resolve(".old-" + UUID.randomUUID());
    try {
      copyTree(source, fresh);
      if (Files.exists(p.upper())) {
        Files.move(p.upper(), old);
      }
      Files.move(fresh, p.upper());
      deleteTree(p.work());
      Files.createDirectories(p.work());
    } catch (IOException e) {
      throw AgentException.internal("cannot replace the writable layer of " + p.name() + ": " + e.getMessage(), e);
    } finally {
      deleteTree(fresh);
      deleteTree(old);
    }
  }

  private static Path requireSnapshot(ContainerPaths p, String snapshot) {
    Path dir = p.snapshot(snapshot);
    if (!Files.isDirectory(dir)) {
      throw AgentException.notFound("snapshot " + p.name() + "/" + snapshot + " does not exist");
    }
    return dir;
  }

  private void copyTree(Path source, Path target) {
    run("copy " + source, "cp", "-a", "--reflink=auto", source.toString(), target.toString());
  }

  private void deleteTree(Path dir) {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (Mounts.isMountPoint(dir.resolve("rootfs"))) {
      throw AgentException.precondition("refusing to delete " + dir + ": its rootfs is mounted");
    }
    run("delete " + dir, "rm", "-rf", "--one-file-system", dir.toString());
  }

  private void run(String what, String... argv) {
    try {
      Command.of(argv).timeout(commandTimeout).check();
    } catch (CommandException e) {
      throw new AgentException(e.timedOut() ? Kind.TIMEOUT : Kind.INTERNAL, "cannot " + what + ": " + e.getMessage(), e);
    }
  }

  static long treeSize(Path dir) {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    long[] total = {0};
    Set<Object> seen = new HashSet<>();
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
              if (attrs.isRegularFile() && (attrs.fileKey() == null || seen.add(attrs.fileKey()))) {
                total[0] += attrs.size();
              }
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot measure " + dir, e);
    }
    return total[0];
  }
}
