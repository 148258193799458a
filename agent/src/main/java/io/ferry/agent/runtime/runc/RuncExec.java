package io.ferry.agent.runtime.runc;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import io.ferry.agent.runtime.ExecSink;
import io.ferry.agent.runtime.ExecSpec;
import io.ferry.common.process.Command;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code runc exec} with the command's stdout and stderr read through pipes by two threads that
 * hand each chunk to the sink as soon as it is read. An exec'd process does not daemonize, so
 * pipes end when it exits (unlike {@code runc run -d}, which is why starts do not use pipes).
 *
 * <p>runc's own failures (no such container, program not found) are told apart from the command's
 * exit code through runc's JSON log file ({@code --log}), since both exit non-zero.
 *
 * <p>On timeout, runc and every process below it (the command and its children, seen from the
 * host) are killed with SIGKILL. Output that background processes left by the command write after
 * it exited is not delivered: the call returns once the command exited and its pipes drained or
 * {@link #DRAIN_GRACE_MS} passed.
 */
final class RuncExec {

  private static final Logger log = LoggerFactory.getLogger(RuncExec.class);

  private static final int CHUNK = 8192;
  static final long DRAIN_GRACE_MS = 500;
  private static final AtomicInteger SEQUENCE = new AtomicInteger();

  private final RuncCli cli;

  RuncExec(RuncCli cli) {
    this.cli = cli;
  }

  int run(String id, ExecSpec spec, ExecSink sink) {
    Path runcLog = null;
    Process process = null;
    long started = System.nanoTime();
    try {
      runcLog = Files.createTempFile("ferry-exec-", ".log");
      ProcessBuilder builder = new ProcessBuilder(argv(id, spec, runcLog));
      builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      process = builder.start();
      int n = SEQUENCE.incrementAndGet();
      Object order = new Object();
      Thread out = reader(process.getInputStream(), ExecSink.Stream.STDOUT, sink, order, id, "ferry-exec-" + n + "-out");
      Thread err = reader(process.getErrorStream(), ExecSink.Stream.STDERR, sink, order, id, "ferry-exec-" + n + "-err");
      if (!process.waitFor(spec.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
        Command.killTree(process);
        drain(id, out, err);
        throw new AgentException(
            Kind.TIMEOUT, "command " + spec.args() + " in container " + id + " timed out after " + spec.timeout().toMillis()
                + " ms and was killed");
      }
      drain(id, out, err);
      int exit = process.exitValue();
      String runcErrors = runcErrors(runcLog);
      if (!runcErrors.isEmpty()) {
        throw RuncCli.failure(RuncOp.EXEC, id, runcErrors, "");
      }
      log.debug("container={} op=exec args={} exit={} took_ms={}", id, spec.args(), exit, (System.nanoTime() - started) / 1_000_000);
      return exit;
    } catch (IOException e) {
      throw new AgentException(Kind.INTERNAL, "cannot run runc exec in container " + id + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      if (process != null) {
        Command.killTree(process);
      }
      throw new AgentException(Kind.INTERNAL, "interrupted while running " + spec.args() + " in container " + id, e);
    } finally {
      if (runcLog != null) {
        try {
          Files.deleteIfExists(runcLog);
        } catch (IOException e) {
          log.warn("cannot delete {}: {}", runcLog, e.getMessage());
        }
      }
    }
  }

  private List<String> argv(String id, ExecSpec spec, Path runcLog) {
    List<String> args = new ArrayList<>(List.of("--log", runcLog.toString(), "--log-format", "json", "exec"));
    if (!spec.env().containsKey("PATH")) {
      args.addAll(List.of("--env", OciDefaults.PATH));
    }
    spec.env().forEach((k, v) -> args.addAll(List.of("--env", k + "=" + v)));
    args.addAll(List.of("--cwd", spec.cwd(), id));
    args.addAll(spec.args());
    return cli.argv(args);
  }

  /** The messages of error-level entries of runc's JSON log: runc itself failed. */
  private static String runcErrors(Path runcLog) throws IOException {
    StringBuilder errors = new StringBuilder();
    for (String line : Files.readAllLines(runcLog)) {
      if (line.contains("\"level\":\"error\"") || line.contains("\"level\":\"fatal\"")) {
        errors.append(line).append('\n');
      }
    }
    return errors.toString();
  }

  private static Thread reader(
      InputStream in, ExecSink.Stream stream, ExecSink sink, Object order, String id, String name) {
    Thread thread =
        new Thread(
            () -> {
              byte[] buffer = new byte[CHUNK];
              boolean deliver = true;
              try (in) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                  if (n == 0 || !deliver) {
                    continue;
                  }
                  byte[] chunk = Arrays.copyOf(buffer, n);
                  try {
                    synchronized (order) {
                      sink.accept(stream, chunk);
                    }
                  } catch (RuntimeException e) {
                    deliver = false;
                    log.warn("container={} op=exec sink failed on {}; dropping the rest: {}", id, stream, e.toString());
                  }
                }
              } catch (IOException e) {
                log.debug("container={} op=exec {} closed: {}", id, stream, e.getMessage());
              }
            },
            name);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  private static void drain(String id, Thread out, Thread err) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_GRACE_MS);
    for (Thread t : List.of(out, err)) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      t.join(Math.max(1, left));
      if (t.isAlive()) {
        log.warn("container={} op=exec output still open after the command exited (a background process holds it); "
            + "not waiting for it", id);
      }
    }
  }
}
