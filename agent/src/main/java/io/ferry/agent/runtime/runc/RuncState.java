package io.ferry.agent.runtime.runc;

import io.ferry.agent.runtime.RuntimeState;
import io.ferry.agent.runtime.RuntimeStatus;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One entry of {@code runc state} / {@code runc list --format json}: the neutral state plus what
 * only the driver needs (bundle, annotations).
 */
record RuncState(
    String id, RuntimeStatus status, int pid, Instant created, Path bundle, Map<String, String> annotations) {

  RuncState {
    annotations = Map.copyOf(annotations);
  }

  RuntimeState toRuntimeState() {
    boolean hasPid = pid > 0 && status != RuntimeStatus.STOPPED;
    return new RuntimeState(id, status, hasPid ? OptionalInt.of(pid) : OptionalInt.empty(), created);
  }

  Optional<String> annotation(String key) {
    return Optional.ofNullable(annotations.get(key));
  }
}
