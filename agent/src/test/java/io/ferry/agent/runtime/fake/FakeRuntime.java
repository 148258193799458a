package io.ferry.agent.runtime.fake;

import io.ferry.agent.AgentException;
import io.ferry.agent.runtime.CheckpointOptions;
import io.ferry.agent.runtime.CheckpointResult;
import io.ferry.agent.runtime.Checkpointer;
import io.ferry.agent.runtime.ContainerRuntime;
import io.ferry.agent.runtime.ExecSink;
import io.ferry.agent.runtime.ExecSpec;
import io.ferry.agent.runtime.InitKind;
import io.ferry.agent.runtime.Limits;
import io.ferry.agent.runtime.ResourceUsage;
import io.ferry.agent.runtime.RestoreOptions;
import io.ferry.agent.runtime.RuntimeCapabilities;
import io.ferry.agent.runtime.RuntimeSpec;
import io.ferry.agent.runtime.RuntimeState;
import io.ferry.agent.runtime.RuntimeStatus;
import io.ferry.agent.runtime.Signal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-memory runtime for unit tests of the agent's logic: containers are entries in a map, a
 * "pid" is the pid of this test JVM (alive, so the exit watcher sees a live init), signals move
 * states at once. {@link #failNext} makes the next call of an operation throw, to drive failure
 * paths. Never used outside tests.
 */
public final class FakeRuntime implements ContainerRuntime, Checkpointer {

  private final Map<String, RuntimeState> containers = new ConcurrentHashMap<>();
  private final Map<String, Limits> limits = new ConcurrentHashMap<>();
  private final Map<String, RuntimeException> failures = new ConcurrentHashMap<>();
  private final List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());
  private final int pid = (int) ProcessHandle.current().pid();

  /** The next call of {@code op} ("start", "kill", "checkpoint", ...) throws {@code error}. */
  public void failNext(String op, RuntimeException error) {
    failures.put(op, error);
  }

  /** Every call made, as "op id", in order. */
  public List<String> calls() {
    return List.copyOf(calls);
  }

  /** Marks a container's init as exited, as if it had died on its own. */
  public void exit(String id) {
    containers.computeIfPresent(id, (k, s) -> state(id, RuntimeStatus.STOPPED));
  }

  @Override
  public RuntimeCapabilities capabilities() {
    return new RuntimeCapabilities("fake", Set.of(InitKind.GENERIC, InitKind.SYSTEMD), true, true, true, true, true);
  }

  @Override
  public RuntimeState start(RuntimeSpec spec) {
    call("start", spec.id());
    if (containers.containsKey(spec.id())) {
      throw new AgentException(AgentException.Kind.ALREADY_EXISTS, "container " + spec.id() + " exists");
    }
    limits.put(spec.id(), spec.limits());
    return put(spec.id(), RuntimeStatus.RUNNING);
  }

  @Override
  public Optional<RuntimeState> state(String id) {
    return Optional.ofNullable(containers.get(id));
  }

  @Override
  public List<RuntimeState> list() {
    return List.copyOf(containers.values());
  }

  @Override
  public void kill(String id, Signal signal, boolean allProcesses) {
    call("kill", id);
    requireAlive(id);
    put(id, RuntimeStatus.STOPPED);
  }

  @Override
  public void delete(String id, boolean force) {
    call("delete", id);
    RuntimeState s = require(id);
    if (s.alive() && !force) {
      throw AgentException.precondition(id + " is running");
    }
    containers.remove(id);
  }

  @Override
  public void pause(String id) {
    call("pause", id);
    require(id);
    put(id, RuntimeStatus.PAUSED);
  }

  @Override
  public void resume(String id) {
    call("resume", id);
    require(id);
    put(id, RuntimeStatus.RUNNING);
  }

  @Override
  public void updateLimits(String id, Limits update) {
    call("update", id);
    require(id);
    limits.merge(id, update, Limits::merge);
  }

  @Override
  public Limits readLimits(String id) {
    requireAlive(id);
    return limits.getOrDefault(id, Limits.NONE);
  }

  @Override
  public ResourceUsage usage(String id) {
    RuntimeState s = requireAlive(id);
    return new ResourceUsage(1 << 20, 1 << 20, s.alive() ? 2 : 0, 1000);
  }

  @Override
  public int exec(String id, ExecSpec spec, ExecSink sink) {
    call("exec", id);
    require(id);
    sink.accept(ExecSink.Stream.STDOUT, String.join(" ", spec.args()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return 0;
  }

  @Override
  public CheckpointResult checkpoint(String id, Path imageDir, CheckpointOptions options) {
    call("checkpoint", id);
    require(id);
    if (!options.leaveRunning()) {
      put(id, RuntimeStatus.STOPPED);
    }
    return new CheckpointResult(imageDir, 4096, Duration.ofMillis(1));
  }

  @Override
  public RuntimeState restore(RuntimeSpec spec, Path imageDir, RestoreOptions options) {
    call("restore", spec.id());
    return put(spec.id(), RuntimeStatus.RUNNING);
  }

  private void call(String op, String id) {
    calls.add(op + " " + id);
    RuntimeException failure = failures.remove(op);
    if (failure != null) {
      throw failure;
    }
  }

  private RuntimeState require(String id) {
    RuntimeState s = containers.get(id);
    if (s == null) {
      throw AgentException.notFound("no container " + id);
    }
    return s;
  }

  /** As runc: cgroup reads need a live container. */
  private RuntimeState requireAlive(String id) {
    RuntimeState s = require(id);
    if (!s.alive()) {
      throw AgentException.precondition("cannot read the cgroup of container " + id + ": it is stopped");
    }
    return s;
  }

  private RuntimeState put(String id, RuntimeStatus status) {
    RuntimeState s = state(id, status);
    containers.put(id, s);
    return s;
  }

  private RuntimeState state(String id, RuntimeStatus status) {
    return new RuntimeState(id, status, status == RuntimeStatus.STOPPED ? OptionalInt.empty() : OptionalInt.of(pid), Instant.EPOCH);
  }
}
