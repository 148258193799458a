package io.ferry.agent.replica;

import io.ferry.agent.AgentException;
import io.ferry.agent.images.ImageStore;
import io.ferry.agent.images.ImportOptions;
import io.ferry.agent.lifecycle.ContainerManager;
import io.ferry.agent.lifecycle.CreateSpec;
import io.ferry.agent.lifecycle.IncomingContainer;
import io.ferry.agent.lifecycle.MigrationSupport;
import io.ferry.agent.network.Ipv4Address;
import io.ferry.agent.network.MacAddress;
import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationException.Kind;
import io.ferry.migration.replica.StandbyHost;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link StandbyHost} over the agent's lifecycle and image store. A promotion holds the name the way
 * an incoming migration does ({@link MigrationSupport#holdIncoming}), moves the replica's tree in as
 * the container's writable layer, adopts it (overlay on the image, network with the given
 * identity, record STOPPED) and connects its link; any failure moves the tree back and discards
 * what was made.
 */
final class AgentStandbyHost implements StandbyHost {

  private static final Logger log = LoggerFactory.getLogger(AgentStandbyHost.class);

  private final MigrationSupport lifecycle;
  private final ContainerManager containers;
  private final ImageStore images;
  private final Function<byte[], CreateSpec> specs;
  private final LongSupplier diskFree;

  AgentStandbyHost(
      MigrationSupport lifecycle, ContainerManager containers, ImageStore images, Function<byte[], CreateSpec> specs, LongSupplier diskFree) {
    this.lifecycle = lifecycle;
    this.containers = containers;
    this.images = images;
    this.specs = specs;
    this.diskFree = diskFree;
  }

  @Override
  public boolean hasContainer(String name) {
    return containers.list().stream().anyMatch(v -> v.record().name().equals(name));
  }

  @Override
  public boolean hasImage(String digest) {
    try {
      return images.find(digest).digest().equals(digest);
    } catch (AgentException e) {
      return false;
    }
  }

  @Override
  public void importImage(String digest, InputStream archive, List<String> aliases) {
    images.importReplica(archive, digest,
        new ImportOptions(List.of(), Optional.empty(), "replicated from another host (aliases there: " + aliases + ")"));
  }

  @Override
  public long diskFreeBytes() {
    return diskFree.getAsLong();
  }

  @Override
  public void promote(String name, byte[] spec, String imageDigest, Path tree, String address, String mac) {
    CreateSpec create = specs.apply(spec);
    Ipv4Address ip;
    MacAddress hw;
    try {
      ip = Ipv4Address.parse(address);
      hw = MacAddress.parse(mac);
    } catch (RuntimeException e) {
      throw new MigrationException(Kind.INVALID_ARGUMENT, "promote " + name + ": " + e.getMessage());
    }
    try (IncomingContainer c = lifecycle.holdIncoming(name, "replica-promotion", false)) {
      Path upper = c.upperDir();
      try {
        Files.createDirectories(upper.getParent());
        Files.move(tree, upper, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        throw MigrationException.internal("cannot move the replica of " + name + " into place: " + e.getMessage(), e);
      }
      try {
        c.adopt(create, imageDigest, ip, hw, false);
        c.connect();
      } catch (RuntimeException e) {
        log.warn("container={} promotion failed, the replica is kept: {}", name, e.getMessage());
        try {
          Files.move(upper, tree, StandardCopyOption.ATOMIC_MOVE);
          c.discard();
        } catch (IOException | RuntimeException cleanup) {
          e.addSuppressed(cleanup);
        }
        throw e;
      }
    }
  }
}
