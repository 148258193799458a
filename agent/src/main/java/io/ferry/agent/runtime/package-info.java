/**
 * The agent's container runtime SPI, runtime-neutral: what the lifecycle, migration and API layers
 * use to run containers on this host. Modelled on Nomad's driver interface: a small {@link
 * io.ferry.agent.runtime.ContainerRuntime}, optional features as separate interfaces ({@link
 * io.ferry.agent.runtime.Checkpointer}) announced by a {@link
 * io.ferry.agent.runtime.RuntimeCapabilities} record, values as records, and a conformance suite
 * (under {@code src/test}) every implementation passes.
 *
 * <p>What this layer does not do: root filesystems (the caller prepares {@link
 * io.ferry.agent.runtime.RuntimeSpec#rootfs()}), network plumbing (the caller creates and
 * configures a namespace and names it in {@link io.ferry.agent.runtime.RuntimeSpec#networkNamespace()};
 * the runtime configures nothing in a joined namespace, not even its loopback), lifecycle states
 * and per-container serialization (the caller holds a per-container lock), console log rotation.
 *
 * <p>Drivers: {@link io.ferry.agent.runtime.runc} (runc + CRIU).
 */
package io.ferry.agent.runtime;
