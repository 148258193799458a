package io.ferry.coordinator.store;

import java.util.Map;
import java.util.Objects;

/**
 * A long-running piece of work, stored at {@code operations/ID} so that any coordinator can report
 * it and a new leader resumes it.
 *
 * <pre>
 *   RUNNING --> SUCCEEDED
 *      |------> FAILED
 *      `------> CANCELLED
 * </pre>
 *
 * Only RUNNING operations change; the three others are final.
 *
 * @param id unique, sortable by creation time
 * @param kind what it does
 * @param target what it acts on (a container's name; a host's for {@link Kind#onHost()} kinds)
 * @param state where it is
 * @param phase the current step in words
 * @param error why it failed: the gRPC code name, a colon and the message
 * @param progressPercent 0..100
 * @param cancelRequested a client asked for it to stop at its next step
 * @param params what the step functions need beyond the container's record (e.g. {@code force})
 */
public record OperationRecord(
    String id,
    Kind kind,
    String target,
    State state,
    String phase,
    String error,
    int progressPercent,
    boolean cancelRequested,
    Map<String, String> params,
    long createdAtMillis,
    long updatedAtMillis) {

  /** The kinds of long work. */
  public enum Kind {
    LAUNCH,
    START,
    STOP,
    RESTART,
    DELETE,
    COPY,
    /** Moves a container to another host; its steps are in {@code params} (see MigrationRunner). */
    MIGRATE,
    /** Drains a host (the target is the host's name); see {@code Evacuations}. */
    EVACUATE,
    /** Takes a host back and moves its evacuated containers home (the target is the host's name). */
    RESTORE_HOST,
    /** Restarts an HA container on its standby after its host died; see {@code Failovers}. */
    FAILOVER;

    /** Whether the target is a host, not a container. */
    public boolean onHost() {
      return this == EVACUATE || this == RESTORE_HOST;
    }

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Where an operation is; see the diagram above. */
  public enum State {
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED;

    public boolean isFinal() {
      return this != RUNNING;
    }
  }

  public OperationRecord {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(state, "state");
    phase = phase == null ? "" : phase;
    error = error == null ? "" : error;
    params = params == null ? Map.of() : Map.copyOf(params);
  }

  public static OperationRecord started(String id, Kind kind, String target, String phase, Map<String, String> params, long now) {
    return new OperationRecord(id, kind, target, State.RUNNING, phase, "", 0, false, params, now, now);
  }

  public String param(String key) {
    return params.getOrDefault(key, "");
  }

  public OperationRecord inPhase(String newPhase, int percent, long now) {
    requireRunning();
    return new OperationRecord(id, kind, target, state, newPhase, error, percent, cancelRequested, params, createdAtMillis, now);
  }

  /** This operation with {@code changes} merged into its params (a step's persisted state). */
  public OperationRecord withParams(Map<String, String> changes, long now) {
    requireRunning();
    Map<String, String> merged = new java.util.TreeMap<>(params);
    merged.putAll(changes);
    return new OperationRecord(id, kind, target, state, phase, error, progressPercent, cancelRequested, merged, createdAtMillis, now);
  }

  public OperationRecord succeeded(long now) {
    requireRunning();
    return new OperationRecord(id, kind, target, State.SUCCEEDED, "done", "", 100, cancelRequested, params, createdAtMillis, now);
  }

  public OperationRecord failed(String why, long now) {
    requireRunning();
    return new OperationRecord(id, kind, target, State.FAILED, phase, why, progressPercent, cancelRequested, params, createdAtMillis, now);
  }

  public OperationRecord cancelled(long now) {
    requireRunning();
    return new OperationRecord(id, kind, target, State.CANCELLED, phase, "cancelled by request", progressPercent, true, params, createdAtMillis, now);
  }

  public OperationRecord withCancelRequested(long now) {
    requireRunning();
    return new OperationRecord(id, kind, target, state, phase, error, progressPercent, true, params, createdAtMillis, now);
  }

  private void requireRunning() {
    if (state.isFinal()) {
      throw new IllegalStateException("operation " + id + " already ended " + state);
    }
  }
}
