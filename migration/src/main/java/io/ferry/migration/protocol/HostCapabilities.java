package io.ferry.migration.protocol;

import java.util.Set;

/**
 * What one host can do for a migration, from its probe ({@code HostInfo.criu} on the wire).
 *
 * @param host the host's name, for messages
 * @param criuUsable a CRIU binary ran, {@code criu check} passed and the runtime can checkpoint
 * @param criuProblem why CRIU is not usable; empty when it is
 * @param criuFeatures the optional CRIU features {@code criu check --feature} confirmed
 */
public record HostCapabilities(String host, boolean criuUsable, String criuProblem, Set<String> criuFeatures) {

  /** Soft-dirty memory tracking: pre-copy's iterative rounds need it. */
  public static final String MEM_DIRTY_TRACK = "mem_dirty_track";
  /** userfaultfd: lazy pages (post-copy) need it on the restoring host. */
  public static final String UFFD = "uffd";
  public static final String UFFD_NONCOOP = "uffd-noncoop";
  /**
   * CRIU's nftables network lock: an agent's dumps use it when its CRIU has it, and a restore uses
   * the method its dump recorded, so the target then needs it too.
   */
  public static final String NETWORK_LOCK_NFTABLES = "network_lock_nftables";

  public HostCapabilities {
    criuFeatures = Set.copyOf(criuFeatures);
    criuProblem = criuProblem == null ? "" : criuProblem;
  }

  public boolean supports(String feature) {
    return criuFeatures.contains(feature);
  }

  /** Why this host cannot checkpoint or restore, in words. */
  String criuRefusal() {
    return "host " + host + " has no usable CRIU" + (criuProblem.isEmpty() ? "" : " (" + criuProblem + ")");
  }
}
