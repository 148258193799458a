package io.ferry.agent.lifecycle;

import io.ferry.agent.images.ImageStore;
import io.ferry.agent.network.NetworkManager;
import io.ferry.agent.runtime.ContainerRuntime;
import io.ferry.agent.storage.RootfsStore;
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

  /**
   * @param containersRoot where the containers' records and layers live
   * @param stopTimeout how long a clean stop waits for init before killing it, unless the request
   *     says otherwise
   */
  public Containers(
      ContainerRuntime runtime,
      ImageStore images,
      RootfsStore storage,
      NetworkManager network,
      Path containersRoot,
      OperationObserver observer,
      Clock clock,
      Duration stopTimeout) {
    this.ctx =
        new ContainerContext(
            runtime, images, storage, network, new ContainerRepository(containersRoot), observer, clock, stopTimeout);
    this.manager = new ContainerManager(ctx);
    this.snapshots = new SnapshotManager(ctx, manager);
  }

  /** Finds the containers left by a previous agent process; returns how many. */
  public int recover() {
    return new Recovery(ctx).run();
  }

  public ContainerManager manager() {
    return manager;
  }

  public SnapshotManager snapshots() {
    return snapshots;
  }
}
