package io.ferry.agent.runtime;

import java.util.Objects;
import java.util.Set;

/**
 * What a {@link ContainerRuntime} can do, so callers choose operations without trying them. A
 * driver reports only what it implements and what this host lets it do.
 *
 * @param driver the driver's name, e.g. {@code runc}
 * @param initKinds the kinds of init it can boot
 * @param pauseResume whether {@link ContainerRuntime#pause}/{@link ContainerRuntime#resume} work
 * @param liveLimits whether {@link ContainerRuntime#updateLimits} applies to running containers
 * @param joinNetworkNamespace whether {@link RuntimeSpec#networkNamespace()} is honoured
 * @param checkpoint whether the runtime implements {@link Checkpointer} and its checkpoint tool is
 *     installed (CRIU for runc). Whether the kernel and the tool really work is the host probe's
 *     business, not this record's.
 * @param tcpEstablished whether checkpoints can carry established TCP connections
 */
public record RuntimeCapabilities(
    String driver,
    Set<InitKind> initKinds,
    boolean pauseResume,
    boolean liveLimits,
    boolean joinNetworkNamespace,
    boolean checkpoint,
    boolean tcpEstablished) {

  public RuntimeCapabilities {
    Objects.requireNonNull(driver, "driver");
    initKinds = Set.copyOf(initKinds);
  }
}
