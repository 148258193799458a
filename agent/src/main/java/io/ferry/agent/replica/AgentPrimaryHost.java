package io.ferry.agent.replica;

import io.ferry.agent.AgentException;
import io.ferry.agent.lifecycle.ContainerManager;
import io.ferry.agent.lifecycle.ContainerRecord;
import io.ferry.agent.storage.ContainerPaths;
import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.replica.PrimaryHost;
import java.nio.file.Path;

/** {@link PrimaryHost} over the agent's container records and rootfs layout. */
final class AgentPrimaryHost implements PrimaryHost {

  private final ContainerManager containers;
  private final Path containersRoot;

  AgentPrimaryHost(ContainerManager containers, Path containersRoot) {
    this.containers = containers;
    this.containersRoot = containersRoot;
  }

  @Override
  public Layer layer(String container) {
    ContainerRecord record = containers.list().stream().map(v -> v.record()).filter(r -> r.name().equals(container)).findFirst()
        .orElseThrow(() -> MigrationException.notFound("no container " + container + " on this host"));
    try {
      return new Layer(new ContainerPaths(containersRoot, container).upper(), record.imageDigest());
    } catch (AgentException e) {
      throw MigrationException.notFound(e.getMessage());
    }
  }
}
