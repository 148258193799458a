package io.ferry.agent.runtime;

import java.time.Instant;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * One container as the runtime sees it at the moment of the query.
 *
 * @param id the container id
 * @param status what its init is doing
 * @param pid init's process id in the host's PID namespace; empty when {@link RuntimeStatus#STOPPED}
 * @param created when the runtime created the container, or restored it (a restore is a new
 *     creation for the runtime)
 */
public record RuntimeState(String id, RuntimeStatus status, OptionalInt pid, Instant created) {

  public RuntimeState {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(pid, "pid");
    Objects.requireNonNull(created, "created");
  }

  /** True while init exists: created, running or paused. */
  public boolean alive() {
    return status != RuntimeStatus.STOPPED;
  }
}
