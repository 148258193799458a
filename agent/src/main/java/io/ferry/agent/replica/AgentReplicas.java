package io.ferry.agent.replica;

import io.ferry.agent.images.ImageStore;
import io.ferry.agent.lifecycle.Containers;
import io.ferry.agent.lifecycle.CreateSpec;
import io.ferry.migration.protocol.MigrationSettings;
import io.ferry.migration.replica.GrpcReplicaImages;
import io.ferry.migration.replica.GrpcStandbyPeer;
import io.ferry.migration.replica.PrimaryReplicas;
import io.ferry.migration.replica.StandbyReplicas;
import io.ferry.migration.transfer.TarStreams;
import java.nio.file.Path;
import java.time.Clock;
import java.util.function.Function;

/**
 * Standby replicas on this agent, assembled: the standby side ({@code <state>/replicas}: what this
 * host keeps for containers running elsewhere) and the primary side ({@code <state>/replicas-out}:
 * what this host's containers' standbys confirmed), over the agent's lifecycle, images and its
 * mutual-TLS channels to peer agents (the migration's settings: timeouts, size limits).
 *
 * <p>Lifecycle: construct once the containers are recovered, then {@link #recover()} before serving.
 */
public final class AgentReplicas {

  private final StandbyReplicas standby;
  private final PrimaryReplicas primary;

  /**
   * @param channels opens a channel to a peer agent's address (this host's certificate)
   * @param specs decodes a {@code ferry.v1.ContainerSpec}
   */
  public AgentReplicas(
      Path stateDir, Containers containers, ImageStore images, Function<byte[], CreateSpec> specs, MigrationSettings settings,
      Function<String, io.grpc.ManagedChannel> channels, Clock clock) {
    TarStreams tar = new TarStreams(stateDir.resolve("replicas-tmp"));
    this.standby = new StandbyReplicas(stateDir.resolve("replicas"),
        new AgentStandbyHost(containers.migrations(), containers.manager(), images, specs, () -> stateDir.toFile().getUsableSpace()),
        new GrpcReplicaImages(channels, settings.timeout()), tar, settings, clock);
    this.primary = new PrimaryReplicas(stateDir.resolve("replicas-out"),
        new AgentPrimaryHost(containers.manager(), stateDir.resolve("containers")),
        address -> new GrpcStandbyPeer(channels.apply(address), settings), tar, settings, clock);
  }

  /** Loads the replicas kept by the previous agent process (see {@link StandbyReplicas#recover}). */
  public void recover() {
    standby.recover();
  }

  public StandbyReplicas standby() {
    return standby;
  }

  public PrimaryReplicas primary() {
    return primary;
  }
}
