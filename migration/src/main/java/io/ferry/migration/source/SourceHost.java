package io.ferry.migration.source;

import io.ferry.migration.protocol.HostCapabilities;

/**
 * What the source side needs from its agent: the host's facts and its containers. The agent
 * implements it over its lifecycle layer; unit tests use a fake.
 */
public interface SourceHost {

  /** This host's CRIU facts, from its probe. */
  HostCapabilities capabilities();

  /**
   * Takes container {@code name} for migration {@code migrationId}: from now on no other
   * operation runs on it until {@link SourceContainer#close()} (requests are refused as busy).
   *
   * @param mustRun refuse unless it is running (a new migration); false on recovery, where it may
   *     be frozen or stopped
   * @throws io.ferry.migration.protocol.MigrationException NOT_FOUND, FAILED_PRECONDITION (not
   *     running, or busy with another operation)
   */
  SourceContainer take(String name, String migrationId, boolean mustRun);
}
