package io.ferry.migration.replica;

import java.nio.file.Path;

/** What the primary side of replication needs from its agent: its containers' layers and images. */
public interface PrimaryHost {

  /**
   * The container's writable layer and image.
   *
   * @throws io.ferry.migration.protocol.MigrationException NOT_FOUND
   */
  Layer layer(String container);

  /** @param upperDir the overlay's upper directory, read while the container may run */
  record Layer(Path upperDir, String imageDigest) {}
}
