package io.ferry.migration.target;

import io.ferry.migration.protocol.HostCapabilities;
import java.io.InputStream;
import java.util.List;

/**
 * What the target side needs from its agent: its facts, its images and a place for the incoming
 * container. The agent implements it over its lifecycle layer and image store.
 */
public interface TargetHost {

  HostCapabilities capabilities();

  /**
   * Holds container name {@code name} for migration {@code migrationId}: no container of that
   * name can be created, and no other operation runs on it, until {@link IncomingSlot#close()}.
   *
   * @param recovering an agent restart: a container of that name may already exist (the restored
   *     one); otherwise one that exists is refused
   * @throws io.ferry.migration.protocol.MigrationException ALREADY_EXISTS when a container has the
   *     name (or another operation holds it)
   */
  IncomingSlot reserve(String name, String migrationId, boolean recovering);

  boolean hasImage(String digest);

  /**
   * Imports an image sent by the source (a tar of its tree) under its digest on the source, so
   * that the container's record names the same image on both hosts.
   */
  void importImage(String digest, InputStream archive, List<String> aliases);

  /** Free bytes on the disk that holds containers' layers. */
  long diskFreeBytes();
}
