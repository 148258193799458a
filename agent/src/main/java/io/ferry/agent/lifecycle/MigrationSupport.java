package io.ferry.agent.lifecycle;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;

/**
 * What live migration needs from the lifecycle: a container held by a migration for as long as it
 * lasts ({@link OutgoingContainer} on the source, {@link IncomingContainer} on the target), with
 * the lifecycle's steps run under that hold. A held container refuses every other operation as
 * busy ("migration M is in progress"), so nothing stops, deletes or creates it behind the
 * migration's back.
 *
 * <p>Holds live in memory: after an agent restart the migration layer takes them again from its
 * journals, right after {@link Containers#recover(java.util.Set)}.
 */
public final class MigrationSupport {

  private final ContainerContext ctx;
  private final ContainerManager manager;

  MigrationSupport(ContainerContext ctx, ContainerManager manager) {
    this.ctx = ctx;
    this.manager = manager;
  }

  /**
   * Holds container {@code name} for outgoing migration {@code migrationId}.
   *
   * @param mustRun refuse unless it is RUNNING (a new migration)
   * @throws AgentException NOT_FOUND, FAILED_PRECONDITION (not running), CONFLICT (busy)
   */
  public OutgoingContainer holdOutgoing(String name, String migrationId, boolean mustRun) {
    ctx.require(name);
    ContainerLocks.Guard guard = ctx.locks.acquire(name, "migration " + migrationId);
    try {
      ContainerRecord record = ctx.require(name);
      if (mustRun && record.status() != ContainerStatus.RUNNING) {
        throw AgentException.precondition("container " + name + " is " + record.status() + ": only a running container can migrate");
      }
      return new OutgoingContainer(ctx, manager, name, guard);
    } catch (RuntimeException e) {
      guard.close();
      throw e;
    }
  }

  /**
   * Holds the name {@code name} for incoming migration {@code migrationId}.
   *
   * @param recovering an agent restart: the container may exist already (it was restored)
   * @throws AgentException ALREADY_EXISTS when a container has the name, CONFLICT (busy)
   */
  public IncomingContainer holdIncoming(String name, String migrationId, boolean recovering) {
    ContainerLocks.Guard guard = ctx.locks.acquire(name, "migration " + migrationId);
    if (!recovering && ctx.find(name).isPresent()) {
      guard.close();
      throw new AgentException(Kind.ALREADY_EXISTS, "container " + name + " already exists on this host");
    }
    return new IncomingContainer(ctx, manager, name, guard);
  }
}
