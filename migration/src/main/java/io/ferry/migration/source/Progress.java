package io.ferry.migration.source;

import io.ferry.migration.protocol.Phase;
import io.ferry.migration.protocol.Result;
import java.util.Optional;

/**
 * One progress report of an outgoing migration.
 *
 * @param result set on the last report (phase AWAITING_COMMIT)
 */
public record Progress(
    String id, Phase phase, long sent, long total, long bytesPerSecond, long etaSeconds, String detail, Optional<Result> result) {}
