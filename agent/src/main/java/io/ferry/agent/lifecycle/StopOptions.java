package io.ferry.agent.lifecycle;

import java.time.Duration;

/**
 * How to stop a running container.
 *
 * @param force kill at once instead of asking init to shut down
 * @param timeout how long init may take to shut down before it is killed; null for the default
 * @param stateful checkpoint with CRIU instead of shutting down (a stateful start resumes it)
 */
public record StopOptions(boolean force, Duration timeout, boolean stateful) {

  public static final StopOptions CLEAN = new StopOptions(false, null, false);
  public static final StopOptions FORCE = new StopOptions(true, null, false);
  public static final StopOptions STATEFUL = new StopOptions(false, null, true);
}
