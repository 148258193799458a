package io.ferry.agent.lifecycle;

import io.ferry.agent.runtime.Limits;
import io.ferry.agent.runtime.ResourceUsage;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A container as reported to callers: the agent's record plus what the kernel says right now.
 *
 * @param record the persisted record (status, spec, network identity)
 * @param initPid PID 1's host pid while the container is live
 * @param limits the limits in force: read from the cgroup while live, else the record's
 * @param usage current usage while live (absent in lists, which stay cheap)
 * @param diskBytes bytes in the container's writable layer (-1 when not measured)
 */
public record ContainerView(
    ContainerRecord record, OptionalInt initPid, Limits limits, Optional<ResourceUsage> usage, long diskBytes) {

  public String name() {
    return record.name();
  }

  public ContainerStatus status() {
    return record.status();
  }
}
