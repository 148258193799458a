package io.ferry.migration.replica;

import io.ferry.migration.transfer.TreeManifest;

/**
 * What the primary keeps of the last pass a standby confirmed, persisted as {@code
 * <replicas-out>/<container>/<standby host>.json}: the next pass is the delta from {@code manifest}
 * on top of {@code generation}.
 */
record ConfirmedPass(String container, String standbyHost, long generation, TreeManifest manifest) {}
