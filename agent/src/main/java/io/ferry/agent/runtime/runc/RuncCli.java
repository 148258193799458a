package io.ferry.agent.runtime.runc;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import io.ferry.agent.runtime.RuntimeState;
import io.ferry.agent.runtime.RuntimeStatus;
import io.ferry.common.process.Command;
import io.ferry.common.process.CommandException;
import io.ferry.common.process.CommandResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs runc with Ferry's state root ({@code runc --root <stateRoot>/runc}) and turns its failures
 * into {@link AgentException}s whose message is runc's own error text. Every invocation has the
 * configured timeout; a timed-out runc is killed with its children and reported as TIMEOUT.
 * Immutable and thread-safe.
 */
final class RuncCli {

  private static final Logger log = LoggerFactory.getLogger(RuncCli.class);

  private final Path runc;
  private final Path criu;
  private final Path root;
  private final Duration timeout;

  RuncCli(Path runc, Path criu, Path root, Duration timeout) {
    this.runc = runc;
    this.criu = criu;
    this.root = root;
    this.timeout = timeout;
  }

  Duration timeout() {
    return timeout;
  }

  /** {@code runc --root ROOT} followed by {@code args}. */
  List<String> argv(List<String> args) {
    List<String> argv = new ArrayList<>(List.of(runc.toString(), "--root", root.toString()));
    argv.addAll(args);
    return argv;
  }

  /** {@code runc --root ROOT --criu CRIU} followed by {@code args}. */
  List<String> argvWithCriu(List<String> args) {
    List<String> argv = new ArrayList<>(List.of(runc.toString(), "--root", root.toString(), "--criu", criu.toString()));
    argv.addAll(args);
    return argv;
  }

  /**
   * Runs {@code runc --root ROOT args...} and requires success.
   *
   * @throws AgentException with the kind {@link RuncErrors} derives from runc's stderr
   */
  CommandResult check(RuncOp op, String id, List<String> args) {
    return check(op, id, argv(args), UnaryOperator.identity());
  }

  /** As {@link #check(RuncOp, String, List)} for a full argv, with the command adjusted first. */
  CommandResult check(RuncOp op, String id, List<String> argv, UnaryOperator<Command> adjust) {
    CommandResult result = run(op, id, argv, adjust);
    if (!result.succeeded()) {
      throw failure(op, id, result.stderr().isBlank() ? result.stdout() : result.stderr(), "");
    }
    return result;
  }

  /** Runs runc and returns its result whatever the exit code; TIMEOUT and start failures throw. */
  CommandResult run(RuncOp op, String id, List<String> argv, UnaryOperator<Command> adjust) {
    Command command = adjust.apply(Command.of(argv).timeout(timeout));
    try {
      return command.run();
    } catch (CommandException e) {
      if (e.timedOut()) {
        throw new AgentException(
            Kind.TIMEOUT,
            "runc " + op.subcommand() + " of container " + id + " timed out after " + timeout.toMillis() + " ms"
                + detail(e.stderr()),
            e);
      }
      throw new AgentException(Kind.INTERNAL, "cannot run runc " + op.subcommand() + " for " + id + ": " + e.getMessage(), e);
    }
  }

  /**
   * Whether runc knows container {@code id}. runc keeps each container's state in {@code
   * <root>/<id>}: without it the id is free, and a runc call (about 10 ms) is saved on the hot path
   * (a start, a restore inside a migration's frozen window). With it, runc decides.
   */
  boolean exists(String id) {
    return Files.exists(root.resolve(id)) && state(id).isPresent();
  }

  /**
   * The state of a container {@code runc run -d} or {@code runc restore -d} just started, from
   * runc's state file and the process table instead of another runc call (about 10 ms saved per
   * start, and per restore inside a migration's frozen window). Empty, and the caller asks runc,
   * when the file is unreadable or init already exited.
   */
  Optional<RuntimeState> startedState(String id) {
    return liveInit(id).map(e -> new RuntimeState(id, RuntimeStatus.RUNNING, OptionalInt.of(e.getKey()), e.getValue()));
  }

  /**
   * The pid of the container's init from runc's state file, when that process is alive (the
   * container runs or is paused), without a runc call (about 10 ms, inside a migration's frozen
   * window when a dump asks). Empty, and the caller asks runc, when the file is unreadable or init
   * is gone.
   */
  OptionalInt liveInitPid(String id) {
    return liveInit(id).map(e -> OptionalInt.of(e.getKey())).orElse(OptionalInt.empty());
  }

  /** Init's pid and the creation time from runc's state file, when that process is alive. */
  private Optional<Map.Entry<Integer, java.time.Instant>> liveInit(String id) {
    try {
      return RuncJson.parseStateFile(Files.readString(root.resolve(id).resolve("state.json")))
          .filter(e -> ProcessHandle.of(e.getKey()).map(ProcessHandle::isAlive).orElse(false));
    } catch (IOException e) {
      log.debug("container={} runc state file unreadable, asking runc: {}", id, e.getMessage());
      return Optional.empty();
    }
  }

  /** {@code runc state ID}, or empty when runc does not know the id. */
  Optional<RuncState> state(String id) {
    CommandResult result = run(RuncOp.STATE, id, argv(List.of("state", id)), UnaryOperator.identity());
    if (result.succeeded()) {
      return Optional.of(RuncJson.parseState(result.stdout()));
    }
    AgentException error = failure(RuncOp.STATE, id, result.stderr(), "");
    if (error.kind() == Kind.NOT_FOUND) {
      return Optional.empty();
    }
    throw error;
  }

  /** Every container under the root, ordered by id. */
  List<RuncState> list() {
    return RuncJson.parseList(check(RuncOp.LIST, "*", List.of("list", "--format", "json")).stdout());
  }

  /**
   * The error for a failed {@code op}: its kind from runc's words, a message naming the operation
   * and container followed by those words and {@code extra} (e.g. the end of a CRIU log).
   */
  static AgentException failure(RuncOp op, String id, String stderr, String extra) {
    Kind kind = RuncErrors.classify(op, stderr);
    String message = "runc " + op.subcommand() + " of container " + id + " failed" + detail(stderr) + extra;
    return new AgentException(kind, message);
  }

  private static String detail(String stderr) {
    String words = RuncErrors.messages(stderr == null ? "" : stderr);
    return words.isEmpty() ? "" : ": " + words;
  }
}
