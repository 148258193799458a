package io.ferry.migration.protocol;

import java.time.Instant;

/**
 * How a migration ended on this agent, kept after its journal was deleted so that GetMigration,
 * and repeated Commit or Abort calls, still get an answer.
 */
public record Outcome(String id, Role role, Phase phase, String container, String detail, Result result, Instant at) {}
