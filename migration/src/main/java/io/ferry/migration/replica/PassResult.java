package io.ferry.migration.replica;

import java.time.Instant;

/**
 * One pass the standby confirmed.
 *
 * @param replicatedAt when the standby recorded it
 * @param bytes the tar stream's size
 * @param entries the entries it carried (files, directories, links)
 * @param deleted the paths it removed (delta)
 * @param full everything, or the delta since the last confirmed pass
 * @param generation the standby's generation after it
 * @param detail why a full pass was sent, when one was
 */
public record PassResult(Instant replicatedAt, long bytes, long entries, long deleted, boolean full, long generation, String detail) {}
