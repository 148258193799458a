package io.ferry.agent.lifecycle;

import static io.ferry.agent.lifecycle.ContainerContext.unit;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import io.ferry.agent.network.AssignedIdentity;
import io.ferry.agent.network.NetworkAttachment;
import io.ferry.agent.storage.SnapshotInfo;
import io.ferry.common.Names;
import java.util.List;
import java.util.Optional;

/**
 * Snapshots of containers' writable layers and copies of containers. A running container is
 * frozen only while its layer is copied (the image is never copied), so a snapshot costs what the
 * container wrote.
 *
 * <p>Concurrency: takes the container's lock like every operation; a copy also takes the new
 * name's lock, so nothing else can create it meanwhile.
 */
public final class SnapshotManager {

  private final ContainerContext ctx;
  private final ContainerManager containers;

  SnapshotManager(ContainerContext ctx, ContainerManager containers) {
    this.ctx = ctx;
    this.containers = containers;
  }

  /** Snapshots a stopped, running (frozen meanwhile) or frozen container. */
  public SnapshotInfo create(String name, String snapshot) {
    requireSnapshotName(snapshot);
    return ctx.operation(name, "snapshot", () -> whileStill(ctx.require(name), () -> ctx.storage.createSnapshot(name, snapshot)));
  }

  public List<SnapshotInfo> list(String name) {
    ctx.require(name);
    return ctx.storage.listSnapshots(name);
  }

  /**
   * Puts the snapshot's layer back in place of the current one. The container must be stopped; a
   * checkpoint is discarded first only by the caller (a checkpointed container is refused).
   */
  public ContainerView restore(String name, String snapshot) {
    requireSnapshotName(snapshot);
    return ctx.operation(
        name,
        "snapshot-restore",
        () -> {
          ContainerRecord record = ctx.require(name);
          if (record.status() != ContainerStatus.STOPPED) {
            throw AgentException.precondition(
                "container " + name + " is " + record.status() + ": stop it before restoring a snapshot");
          }
          ctx.storage.unmount(name);
          ctx.storage.restoreSnapshot(name, snapshot);
          ctx.storage.mount(name, ctx.images.rootfs(record.imageDigest()));
          return containers.view(record, true);
        });
  }

  public void delete(String name, String snapshot) {
    requireSnapshotName(snapshot);
    ctx.operation(name, "snapshot-delete", unit(() -> {
      ctx.require(name);
      ctx.storage.deleteSnapshot(name, snapshot);
    }));
  }

  /** As {@link #copy(String, String, Optional)}, the copy's address leased by this host. */
  public ContainerView copy(String source, String target) {
    return copy(source, target, Optional.empty());
  }

  /**
   * Copies container {@code source} to a new, stopped container {@code target}: same image, spec,
   * limits and files, its own address and MAC ({@code network} when given, the coordinator's
   * cluster-wide allocation; else leased by this host). A running source is frozen while its layer
   * is copied. Nothing of {@code target} is left when a step fails.
   */
  public ContainerView copy(String source, String target, Optional<AssignedIdentity> network) {
    String problem = Names.problem("container", target);
    if (problem != null) {
      throw AgentException.invalid(problem);
    }
    return ctx.operation(
        source,
        "copy",
        () ->
            ctx.operation(
                target,
                "create",
                () -> {
                  ContainerRecord from = ctx.require(source);
                  if (ctx.find(target).isPresent()) {
                    throw new AgentException(Kind.ALREADY_EXISTS, "container " + target + " already exists");
                  }
                  try {
                    whileStill(from, () -> {
                      ctx.storage.copyLayer(source, target);
                      return null;
                    });
                    ctx.storage.mount(target, ctx.images.rootfs(from.imageDigest()));
                    NetworkAttachment net = ctx.attachNetwork(target, network);
                    ContainerRecord copy = from.copyAs(target, ctx.clock.instant()).withNetwork(ContainerManager.identity(net));
                    ContainerView view = containers.view(ctx.save(copy), true);
                    ctx.network.announceNew(target);
                    return view;
                  } catch (RuntimeException e) {
                    ctx.network.detach(target);
                    ctx.storage.remove(target);
                    throw e;
                  }
                }));
  }

  /** Runs {@code body} with the container's files still: frozen when it is running. */
  private <T> T whileStill(ContainerRecord record, java.util.function.Supplier<T> body) {
    if (record.status() != ContainerStatus.RUNNING) {
      return body.get();
    }
    ctx.runtime.pause(record.name());
    try {
      return body.get();
    } finally {
      ctx.runtime.resume(record.name());
    }
  }

  private static void requireSnapshotName(String snapshot) {
    String problem = Names.problem("snapshot", snapshot);
    if (problem != null) {
      throw AgentException.invalid(problem);
    }
  }
}
