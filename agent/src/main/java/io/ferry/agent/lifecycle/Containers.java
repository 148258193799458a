package io.ferry.agent.lifecycle;

import io.ferry.agent.images.ImageStore;
import io.ferry.agent.network.NetworkManager;
import io.ferry.agent.runtime.ContainerRuntime;
import io.ferry.agent.storage.VolumeStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * The containers of this host, assembled: lifecycle ({@link #manager()}) and snapshots and copies
 * ({@link #snapshots()}) over one runtime, image store, rootfs store and network. {@link
 * #recover()} must run once before the first request.
 */
public final class Containers {

  private final ContainerContext ctx;
  private final ContainerManager manager;
  private final SnapshotManager snapshots;
  private final ExitWatcher exits;
  private final MigrationSupport migrations;

  /**
   * @param containersRoot where the containers' records and layers live
   * @param stopTimeout how long a clean stop waits for init before killing it, unless the request
   *     says otherwise
   */
  public Containers(
      ContainerRuntime runtime,
      ImageStore images,
      VolumeStore storage,
      NetworkManager network,
      Path containersRoot,
      OperationObserver observer,
      Clock clock,
      Duration stopTimeout) {
    this.ctx =
        new ContainerContext(
            runtime, images, storage, network, new ContainerRepository(containersRoot), observer, clock, stopTimeout);
    this.exits = new ExitWatcher(ctx);
    this.manager = new ContainerManager(ctx, exits);
    this.snapshots = new SnapshotManager(ctx, manager);
    this.migrations = new MigrationSupport(ctx, manager);
  }

  /**
   * Finds the containers left by a previous agent process, then starts watching for inits that
   * exit on their own; returns how many containers were found.
   */
  public int recover() {
    return recover(java.util.Set.of());
  }

  /**
   * As {@link #recover()}, leaving the network of the containers named in {@code networkHeld} as it
   * is (not repaired, not brought up): outgoing migrations keep a frozen copy's link down while
   * the container may run on another host.
   */
  public int recover(java.util.Set<String> networkHeld) {
    int found = new Recovery(ctx, networkHeld).run();
    exits.start(EXIT_SWEEP);
    return found;
  }

  /** How often live containers are checked for an init that exited on its own. */
  private static final Duration EXIT_SWEEP = Duration.ofSeconds(1);

  /** Stops watching; the containers keep running. */
  public void close() {
    exits.close();
    ctx.setupPool.shutdownNow();
  }

  public ContainerManager manager() {
    return manager;
  }

  public SnapshotManager snapshots() {
    return snapshots;
  }

  public MigrationSupport migrations() {
    return migrations;
  }
}
