package io.ferry.agent.host;

import java.nio.file.Path;
import java.util.List;

/**
 * What this host is and can do, as probed at agent start ({@link HostProbe}).
 *
 * @param hostName the agent's host name in the cluster
 * @param kernel the running kernel's release
 * @param capacity cores, memory and disk of the host
 * @param runtime the OCI runtime found
 * @param criu the CRIU found, and its optional features
 * @param agentVersion this agent's software version
 */
public record HostFacts(
    String hostName,
    String kernel,
    Capacity capacity,
    RuntimeFacts runtime,
    CriuFacts criu,
    String agentVersion) {

  /** Sizes in bytes; disk is the filesystem holding the agent's state directory. */
  public record Capacity(int cpuCores, long memoryBytes, long diskBytes, long diskFreeBytes) {}

  /** The OCI runtime driver, e.g. runc at /usr/sbin/runc, version 1.1.5. */
  public record RuntimeFacts(String name, Path path, String version) {}

  /** One optional CRIU feature as {@code criu check --feature NAME} reported it. */
  public record CriuFeature(String name, boolean supported, String detail) {}

  /**
   * The CRIU binary and what it can do on this kernel.
   *
   * @param available a CRIU binary was found and ran
   * @param checkPassed {@code criu check} said "Looks good."
   * @param detail why CRIU is unavailable or the check failed; empty when all is well
   */
  public record CriuFacts(
      boolean available,
      Path path,
      String version,
      boolean checkPassed,
      String detail,
      List<CriuFeature> features) {

    public CriuFacts {
      features = List.copyOf(features);
    }

    /** True when {@code criu check --feature name} passed; false when it failed or was not probed. */
    public boolean supports(String name) {
      return features.stream().anyMatch(f -> f.name().equals(name) && f.supported());
    }
  }

  /** A copy with the disk figures replaced (free space changes; the rest does not). */
  public HostFacts withDisk(long diskBytes, long diskFreeBytes) {
    return new HostFacts(
        hostName,
        kernel,
        new Capacity(capacity.cpuCores(), capacity.memoryBytes(), diskBytes, diskFreeBytes),
        runtime,
        criu,
        agentVersion);
  }
}
