/**
 * The runc + CRIU driver of the runtime SPI: {@link io.ferry.agent.runtime.runc.RuncRuntime}.
 *
 * <p>How the pieces fit: {@code RuncRuntime} is the facade; {@code RuncCli} runs runc with
 * Ferry's root and timeout and maps its errors ({@code RuncErrors}, {@code RuncJson});
 * {@code OciSpecWriter} (with {@code OciDefaults}) writes each container's config.json and
 * {@code Bundles} the files around it ({@code StateLayout}); {@code CgroupV1} reads limits and
 * usage from the kernel; {@code RuncExec} streams exec output; {@code RuncCheckpoints} drives
 * checkpoint and restore, with {@code ExternalFiles} and {@code CriuLogs}.
 *
 * <p>Things learnt on these hosts (runc 1.1.5, CRIU 4.2.1, kernel 6.18, hybrid cgroups, no
 * CAP_SYS_RESOURCE), each handled here:
 *
 * <ul>
 *   <li>A console log file open in the container is a host file to CRIU ("Can't lookup mount"):
 *       it is declared {@code external file[mnt_id:inode]} on dump and handed back with {@code
 *       inherit-fd} on restore, through a per-container CRIU config named by the {@code
 *       org.criu.config} annotation (which replaces {@code /etc/criu/runc.conf}, so its lines are
 *       copied in).
 *   <li>runc has CRIU restore a namespace runc created as an empty one: the restore config gets a
 *       prestart hook bringing loopback up (else established TCP cannot be restored).
 *   <li>systemd services create nested UTS namespaces (ProtectHostname=) that CRIU cannot dump:
 *       the systemd seccomp filter refuses nested namespaces other than mount and network with
 *       EPERM, and clone3 with ENOSYS so the flags are visible to the filter.
 *   <li>CRIU 4.2.1 cannot read the rlimits of a process running as another user without
 *       CAP_SYS_RESOURCE: systemd containers (dbus runs as messagebus) need the CRIU patch in
 *       {@code deploy/criu/}; CRIU failures name this cause.
 *   <li>{@code runc delete --force} of an unknown id succeeds, {@code runc list} prints {@code
 *       null} when empty, a restore gets a new creation time: the driver evens these out.
 * </ul>
 */
package io.ferry.agent.runtime.runc;
