package io.ferry.agent.storage;

import java.time.Instant;

/** One snapshot of a container's writable layer. */
public record SnapshotInfo(String container, String name, Instant createdAt, long sizeBytes) {}
