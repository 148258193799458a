package io.ferry.migration.replica;

/** A ReplicateOut call: one pass of {@code container}'s layer to the standby {@code standbyHost}. */
public record ReplicationRequest(String container, String standbyHost, String standbyAddress, String token) {}
