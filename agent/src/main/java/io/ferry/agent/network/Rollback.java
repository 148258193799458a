package io.ferry.agent.network;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Undo steps of one multi-step operation: each step that creates something registers how to remove
 * it; on failure {@link #undo} removes them newest first, so the host is left as it was; on success
 * {@link #commit} forgets them.
 *
 * <p>An undo step that fails is logged and attached to the original failure as suppressed; the
 * remaining steps still run. Not thread-safe: one operation, one thread.
 */
final class Rollback {

  private static final Logger log = LoggerFactory.getLogger(Rollback.class);

  private record Step(String what, Runnable undo) {}

  private final String operation;
  private final Deque<Step> steps = new ArrayDeque<>();

  Rollback(String operation) {
    this.operation = operation;
  }

  /** Registers how to undo something just created; {@code what} names it for the log. */
  void onFailure(String what, Runnable undo) {
    steps.push(new Step(what, undo));
  }

  /** The operation succeeded: keep everything. */
  void commit() {
    steps.clear();
  }

  /** The operation failed with {@code cause}: undo every registered step, newest first. */
  void undo(Throwable cause) {
    while (!steps.isEmpty()) {
      Step step = steps.pop();
      try {
        step.undo().run();
        log.atInfo().addKeyValue("op", operation).log("{}: rolled back {}", operation, step.what());
      } catch (RuntimeException e) {
        log.atWarn()
            .addKeyValue("op", operation)
            .log("{}: cannot roll back {}: {}", operation, step.what(), e.getMessage());
        cause.addSuppressed(e);
      }
    }
  }
}
