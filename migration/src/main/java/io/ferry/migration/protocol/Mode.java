package io.ferry.migration.protocol;

import java.util.Locale;

/**
 * How a container moves. See {@code ARCHITECTURE.md} ("Live migration") for what each costs.
 *
 * <ul>
 *   <li>{@link #COLD}: stop, send the writable layer, start on the target (a reboot).
 *   <li>{@link #NEAR_LIVE}: send the layer while it runs, stop cleanly, send what changed, start.
 *   <li>{@link #LIVE}: send the layer while it runs, freeze, CRIU dump, send the images and what
 *       changed, restore on the target (processes keep their memory, TCP connections survive).
 *   <li>{@link #POST_COPY}: as live, but memory pages stay on the source and the target pulls them
 *       on demand after it resumed (CRIU lazy pages).
 *   <li>{@link #PRE_COPY}: iterative memory rounds before the final dump; needs {@code
 *       mem_dirty_track} on both hosts.
 *   <li>{@link #AUTO}: the best the pair of hosts supports ({@link ModeSelector}).
 * </ul>
 */
public enum Mode {
  AUTO,
  COLD,
  NEAR_LIVE,
  LIVE,
  POST_COPY,
  PRE_COPY;

  /** True for the modes that move processes with their memory (CRIU), false for the restarts. */
  public boolean checkpoints() {
    return this == LIVE || this == POST_COPY || this == PRE_COPY;
  }

  /** As people write it: {@code near-live}, {@code post-copy}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
