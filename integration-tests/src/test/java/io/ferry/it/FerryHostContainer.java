package io.ferry.it;

import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
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
          HostConfig host = cmd.getHostConfig() == null ? HostConfig.newHostConfig() : cmd.getHostConfig();
          host.withCapAdd(Capability.ALL)
              .withCapDrop(Capability.SYS_RESOURCE)
              .withSecurityOpts(List.of("seccomp=unconfined", "apparmor=unconfined", "systempaths=unconfined"))
              .withDeviceCgroupRules(List.of("a *:* rwm"))
              .withBinds(Bind.parse("/sys/fs/cgroup:/sys/fs/cgroup:rw"));
          cmd.withHostConfig(host);
        });
  }
}
