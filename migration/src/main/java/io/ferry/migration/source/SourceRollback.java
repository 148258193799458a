package io.ferry.migration.source;

import io.ferry.migration.protocol.MigrationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a source's copy back to running, from whatever state a migration (or a crash during one)
 * left it in: frozen with its link down, stopped, or running. Idempotent, so recovery can repeat
 * it after a crash in the middle.
 */
final class SourceRollback {

  private static final Logger log = LoggerFactory.getLogger(SourceRollback.class);

  private SourceRollback() {}

  static void resume(SourceContainer container, String migrationId) {
    SourceContainer.State state = container.state();
    switch (state) {
      case FROZEN -> {
        container.setLinkUp(true);
        container.unfreeze();
      }
      case STOPPED -> container.start();
      case RUNNING -> container.setLinkUp(true);
      default -> throw MigrationException.internal(
          "migration " + migrationId + ": cannot resume container " + container.name() + ", it is " + state, null);
    }
    log.info("migration={} container={} resumed on the source (was {})", migrationId, container.name(), state);
  }

  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      log.warn("cannot delete {}: {}", dir, e.getMessage());
    }
  }
}
