package io.ferry.coordinator.placement;

import java.util.Locale;

/**
 * A host's state as placement sees it. Only {@link #ONLINE} hosts receive new containers; an
 * evacuating host is being drained and an evacuated one is empty on purpose, so neither takes
 * work until an admin restores it.
 */
public enum HostStatus {
  ONLINE,
  OFFLINE,
  EVACUATING,
  EVACUATED;

  /** The word used in placement reasons, e.g. {@code offline}. */
  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }
}
