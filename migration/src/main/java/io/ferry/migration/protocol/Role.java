package io.ferry.migration.protocol;

/** Which end of a migration an agent is. */
public enum Role {
  /** Holds the container and sends it. */
  SOURCE,
  /** Receives the container and runs it once it has all of it. */
  TARGET
}
