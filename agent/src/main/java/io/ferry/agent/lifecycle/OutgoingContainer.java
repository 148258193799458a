package io.ferry.agent.lifecycle;

import io.ferry.agent.AgentException;
import io.ferry.agent.network.NetworkAttachment;
import io.ferry.agent.runtime.CheckpointOptions;
import io.ferry.agent.runtime.CheckpointResult;
import io.ferry.agent.runtime.LazyCheckpointer;
import io.ferry.agent.runtime.PageStreaming;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A container held by an outgoing migration ({@link MigrationSupport#holdOutgoing}): the steps a
 * source takes, each a checked move of the container's state machine, run under the hold. Not
 * thread-safe: one migration drives it.
 */
public final class OutgoingContainer implements AutoCloseable {

  private final ContainerContext ctx;
  private final ContainerManager manager;
  private final String name;
  private final ContainerLocks.Guard guard;

  OutgoingContainer(ContainerContext ctx, ContainerManager manager, String name, ContainerLocks.Guard guard) {
    this.ctx = ctx;
    this.manager = manager;
    this.name = name;
    this.guard = guard;
  }

  public String name() {
    return name;
  }

  public ContainerRecord record() {
    return ctx.require(name);
  }

  public Path upperDir() {
    return ctx.paths(name).upper();
  }

  /** Memory its cgroup uses now; 0 when it cannot be read (not running). */
  public long memoryBytes() {
    try {
      return ctx.runtime.usage(name).memoryBytes();
    } catch (AgentException e) {
      return 0;
    }
  }

  /** The container's network attachment (its host-side veth), if it has one. */
  public Optional<NetworkAttachment> network() {
    return ctx.network.attachment(name);
  }

  /**
   * Brings its host-side link down (a frozen source: its kernel must not answer the TCP peers the
   * target takes over) or up again (a rollback), announcing its address so the other hosts send
   * here again.
   */
  public void setLinkUp(boolean up) {
    ctx.network.setHostLinkUp(name, up);
    if (up) {
      ctx.network.announceNew(name);
    }
  }

  /** Clean stop (init's shutdown, killed after the agent's stop timeout). */
  public void stop() {
    manager.stopLocked(record(), new StopOptions(false, null, false));
  }

  public void start() {
    manager.startLocked(record(), false);
  }

  public void freeze() {
    ContainerRecord record = record();
    if (record.status() == ContainerStatus.FROZEN) {
      return;
    }
    ctx.runtime.pause(name);
    ctx.move(record, ContainerStatus.FROZEN, "frozen for migration");
  }

  public void unfreeze() {
    ContainerRecord record = record();
    if (record.status() != ContainerStatus.FROZEN) {
      return;
    }
    ctx.runtime.resume(name);
    ctx.move(record, ContainerStatus.RUNNING, "resumed: migration rolled back");
  }

  /**
   * CRIU dump of the frozen container, leaving it frozen and intact (runc's leave-running keeps a
   * paused container paused).
   */
  public CheckpointResult dump(Path imageDir, boolean tcpEstablished) {
    requireFrozen();
    return ctx.runtime.checkpointer()
        .orElseThrow(() -> AgentException.precondition("this host's runtime cannot checkpoint (no working CRIU)"))
        .checkpoint(name, imageDir, new CheckpointOptions(true, tcpEstablished, false, false));
  }

  /** As {@link #dump}, the pages sent to the CRIU page server at {@code 127.0.0.1:port} as they are read. */
  public CheckpointResult dumpToPageServer(Path imageDir, boolean tcpEstablished, int port) {
    requireFrozen();
    if (!(ctx.runtime instanceof PageStreaming streaming) || ctx.runtime.checkpointer().isEmpty()) {
      throw AgentException.precondition("this host's runtime cannot stream pages (no working CRIU)");
    }
    return streaming.checkpointToPageServer(name, imageDir, new CheckpointOptions(true, tcpEstablished, false, false), port);
  }

  /** As {@link #dump}, for post-copy: the pages are served on {@code 127.0.0.1:port} afterwards. */
  public LazyCheckpointer.LazyDump dumpLazily(Path imageDir, boolean tcpEstablished, int port, Duration timeout) {
    requireFrozen();
    if (!(ctx.runtime instanceof LazyCheckpointer lazy) || ctx.runtime.checkpointer().isEmpty()) {
      throw AgentException.precondition("this host's runtime cannot do post-copy (no lazy pages)");
    }
    return lazy.checkpointLazily(name, imageDir, new CheckpointOptions(true, tcpEstablished, false, false), port, timeout);
  }

  /** Deletes the container with everything it has here (a committed migration). */
  public void destroy() {
    manager.deleteLocked(record(), true);
  }

  /** Releases the hold. */
  @Override
  public void close() {
    guard.close();
  }

  private void requireFrozen() {
    ContainerStatus status = record().status();
    if (status != ContainerStatus.FROZEN) {
      throw AgentException.precondition("container " + name + " is " + status + ", not frozen: no migration dump");
    }
  }
}
