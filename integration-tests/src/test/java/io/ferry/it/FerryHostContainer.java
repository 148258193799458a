package io.ferry.it;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * One simulated Ferry host: a Docker container with the rights to run runc and CRIU inside.
 *
 * <p>{@code --privileged} fails on these machines (the host lacks CAP_SYS_RESOURCE, and runc
 * inside cannot apply capabilities it was not given); the working recipe, measured here, is every
 * capability but SYS_RESOURCE, no seccomp/AppArmor confinement, unmasked /proc and /sys paths,
 * access to all devices and the host's cgroup tree mounted read-write.
 */
public final class FerryHostContainer extends GenericContainer<FerryHostContainer> {

  public FerryHostContainer(String image) {
    super(DockerImageName.parse(image));
    withCreateContainerCmdModifier(
        cmd -> {
          HostConfig host = new UnmaskedHostConfig();
          HostConfig given = cmd.getHostConfig();
          List<Bind> binds = new ArrayList<>();
          if (given != null) {
            host.withNetworkMode(given.getNetworkMode()).withPortBindings(given.getPortBindings());
            // Keep the caller's bind mounts (withFileSystemBind), e.g. the multi-host harness's.
            if (given.getBinds() != null) {
              binds.addAll(Arrays.asList(given.getBinds()));
            }
          }
          binds.add(Bind.parse("/sys/fs/cgroup:/sys/fs/cgroup:rw"));
          host.withCapAdd(Capability.ALL)
              .withCapDrop(Capability.SYS_RESOURCE)
              .withSecurityOpts(List.of("seccomp=unconfined", "apparmor=unconfined"))
              .withDeviceCgroupRules(List.of("a *:* rwm"))
              .withBinds(binds);
          cmd.withHostConfig(host);
        });
  }

  /**
   * The API form of the CLI's {@code --security-opt systempaths=unconfined}, which the engine
   * refuses as a security option: empty masked and read-only path lists, so /proc/sys is writable
   * (CRIU restores PIDs through /proc/sys/kernel/ns_last_pid). docker-java's HostConfig lacks these
   * two fields; it serializes the runtime class, so a subclass adds them.
   */
  static final class UnmaskedHostConfig extends HostConfig {
    private static final long serialVersionUID = 1L;

    @JsonProperty("MaskedPaths")
    private final List<String> maskedPaths = List.of();

    @JsonProperty("ReadonlyPaths")
    private final List<String> readonlyPaths = List.of();
  }
}
