package io.ferry.migration.replica;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * What the standby side of replication needs from its agent: its containers, its images and a way
 * to make a container from a replica's tree. The agent implements it over its lifecycle.
 */
public interface StandbyHost {

  /** A container of that name exists on this host. */
  boolean hasContainer(String name);

  boolean hasImage(String digest);

  /** Imports an image sent by the primary (a tar of its tree) under its digest there. */
  void importImage(String digest, InputStream archive, List<String> aliases);

  /** Free bytes on the disk that holds the replicas. */
  long diskFreeBytes();

  /**
   * Makes container {@code name} of this host, stopped, whose writable layer is {@code tree}
   * (moved, not copied), with this network identity. On failure nothing of the container remains
   * and {@code tree} is where it was.
   *
   * @param spec the bytes of its {@code ferry.v1.ContainerSpec}
   * @throws io.ferry.migration.protocol.MigrationException ALREADY_EXISTS, INVALID_ARGUMENT (address),
   *     INTERNAL
   */
  void promote(String name, byte[] spec, String imageDigest, Path tree, String address, String mac);

  /** Opens the primary's image stream for a replica ({@code FetchReplicaImage}). */
  interface ImageSource {
    ImageStream fetch(String address, String container, String token, String digest);
  }

  /** An image arriving from the primary: its archive and its aliases there. */
  interface ImageStream extends AutoCloseable {
    InputStream archive();

    List<String> aliases();

    @Override
    void close();
  }
}
