package io.ferry.agent.runtime;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A checkpoint that was written.
 *
 * @param imageDir where its images are
 * @param imageBytes their total size
 * @param elapsed how long the checkpoint took, end to end (the container is frozen for most of it)
 */
public record CheckpointResult(Path imageDir, long imageBytes, Duration elapsed) {}
