package io.ferry.migration.source;

import io.ferry.migration.protocol.Mode;

/**
 * A MigrateOut call: move {@code container} to the agent at {@code target}.
 *
 * @param token the shared secret the target was prepared with
 */
public record OutgoingRequest(String id, String container, String target, Mode mode, boolean tcpEstablished, String token) {}
