package io.ferry.agent.lifecycle;

import io.ferry.agent.runtime.RuntimeState;
import io.ferry.agent.runtime.RuntimeStatus;
import java.nio.file.Files;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds this host's containers again when the agent starts: containers never depend on the agent
 * process, so after a restart (or kill -9) the records on disk are matched with what runc says
 * and each container's status is set to the truth:
 *
 * <ul>
 *   <li>runc reports it running or paused: RUNNING or FROZEN;
 *   <li>runc reports it exited: STOPPED ("exited while the agent was away"), runc's leftover removed;
 *   <li>runc does not know it: CHECKPOINTED when a checkpoint is on disk and the record says it was
 *       completed, else STOPPED.
 * </ul>
 *
 * Rootfs mounts and network namespaces are made sure of for every container, so a later start or
 * exec finds them, except the network of containers an unfinished outgoing migration holds: a
 * frozen copy's link stays down while the container may run on another host. Recovery bypasses the transition table on purpose: the runtime's truth wins
 * over whatever operation was in flight when the previous agent died.
 */
final class Recovery {

  private static final Logger log = LoggerFactory.getLogger(Recovery.class);

  private final ContainerContext ctx;
  private final java.util.Set<String> networkHeld;

  Recovery(ContainerContext ctx, java.util.Set<String> networkHeld) {
    this.ctx = ctx;
    this.networkHeld = networkHeld;
  }

  /** @return how many containers were found */
  int run() {
    int found = 0;
    for (ContainerRecord stored : ctx.repository.loadAll()) {
      found++;
      ContainerRecord record = reconcile(stored);
      try {
        ctx.storage.mount(record.name(), ctx.images.rootfs(record.imageDigest()));
        if (!networkHeld.contains(record.name())) {
          ctx.attachNetwork(record);
        }
      } catch (RuntimeException e) {
        record = record.withStatus(ContainerStatus.ERROR, "cannot recover its rootfs or network: " + e.getMessage(), ctx.clock.instant());
        log.error("container={} recovery failed: {}", record.name(), e.getMessage());
      }
      ctx.save(record);
    }
    log.info("recovered {} container(s)", found);
    return found;
  }

  private ContainerRecord reconcile(ContainerRecord record) {
    Optional<RuntimeState> state = ctx.runtime.state(record.name());
    ContainerStatus truth;
    String detail;
    if (state.isPresent() && state.get().alive() && state.get().status() != RuntimeStatus.CREATED) {
      state.get().pid().ifPresent(pid -> ctx.initPids.put(record.name(), pid));
    }
    if (state.isPresent() && state.get().status() == RuntimeStatus.RUNNING) {
      truth = ContainerStatus.RUNNING;
      detail = "running (found after an agent restart)";
    } else if (state.isPresent() && state.get().status() == RuntimeStatus.PAUSED) {
      truth = ContainerStatus.FROZEN;
      detail = "frozen (found after an agent restart)";
    } else {
      if (state.isPresent()) {
        ctx.runtime.delete(record.name(), true);
      }
      // A checkpoint counts only once recorded as done: one the previous agent was still
      // writing may be incomplete, and a clean boot is safer than resuming half a dump.
      boolean checkpoint = Files.isDirectory(ctx.paths(record.name()).checkpoint());
      if (checkpoint && record.status() == ContainerStatus.CHECKPOINTED) {
        truth = ContainerStatus.CHECKPOINTED;
        detail = record.detail();
      } else {
        truth = ContainerStatus.STOPPED;
        detail =
            record.status().isLive() || record.status() == ContainerStatus.STARTING
                ? "exited while the agent was away"
                : record.detail();
      }
    }
    if (truth == record.status()) {
      return record.withStatus(truth, detail, record.stateSince());
    }
    log.info("container={} recovered as {} (record said {})", record.name(), truth, record.status());
    return record.withStatus(truth, detail, ctx.clock.instant());
  }
}
