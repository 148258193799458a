package io.ferry.agent.storage;

import io.ferry.agent.AgentException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A volume store for unit tests: directories under a temporary root, no mounts, snapshots kept
 * as names. Follows the {@link VolumeStore} contract closely enough for the lifecycle's logic.
 */
public final class FakeVolumeStore implements VolumeStore {

  private final Path root;
  private final Set<String> mounted = ConcurrentHashMap.newKeySet();
  private final Map<String, List<SnapshotInfo>> snapshots = new ConcurrentHashMap<>();

  public FakeVolumeStore(Path root) {
    this.root = root;
  }

  /** Names of containers that have anything on disk. */
  public List<String> containersOnDisk() {
    try (var dirs = Files.list(root)) {
      return dirs.map(d -> d.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public ContainerPaths paths(String name) {
    return new ContainerPaths(root, name);
  }

  @Override
  public Path mount(String name, Path imageRootfs) {
    try {
      Files.createDirectories(paths(name).rootfs());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    mounted.add(name);
    return paths(name).rootfs();
  }

  @Override
  public boolean isMounted(String name) {
    return mounted.contains(name);
  }

  @Override
  public void unmount(String name) {
    mounted.remove(name);
  }

  @Override
  public long diskUsage(String name) {
    return 0;
  }

  @Override
  public void remove(String name) {
    mounted.remove(name);
    snapshots.remove(name);
    Path dir = paths(name).dir();
    try (var files = Files.exists(dir) ? Files.walk(dir) : java.util.stream.Stream.<Path>empty()) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public SnapshotInfo createSnapshot(String name, String snapshot) {
    SnapshotInfo info = new SnapshotInfo(name, snapshot, Instant.EPOCH, 0);
    snapshots.computeIfAbsent(name, n -> new ArrayList<>()).add(info);
    return info;
  }

  @Override
  public List<SnapshotInfo> listSnapshots(String name) {
    return List.copyOf(snapshots.getOrDefault(name, List.of()));
  }

  @Override
  public void restoreSnapshot(String name, String snapshot) {
    if (mounted.contains(name)) {
      throw AgentException.precondition("the rootfs of " + name + " is still mounted");
    }
  }

  @Override
  public void deleteSnapshot(String name, String snapshot) {
    snapshots.getOrDefault(name, new ArrayList<>()).removeIf(s -> s.name().equals(snapshot));
  }

  @Override
  public void copyLayer(String source, String target) {
    mount(target, null);
    mounted.remove(target);
  }

  @Override
  public void deleteCheckpoint(String name) {
    try {
      Path dir = paths(name).checkpoint();
      if (java.nio.file.Files.exists(dir)) {
        try (var files = java.nio.file.Files.walk(dir)) {
          for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
            java.nio.file.Files.delete(f);
          }
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
