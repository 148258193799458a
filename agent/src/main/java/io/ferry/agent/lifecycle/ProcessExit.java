package io.ferry.agent.lifecycle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Waits for a container's init to exit. A container's init is not the agent's child (runc
 * leaves it to the host's PID 1), so the agent cannot wait(2) for it; and a process that has exited
 * stays a zombie until the host's PID 1 reaps it, which on some hosts takes seconds (seen: 1.8 s,
 * while the exit itself took 50 ms). A zombie has finished: this counts it as exited, where
 * {@link ProcessHandle#onExit()} waits for the reaping.
 */
final class ProcessExit {

  private static final long FIRST_POLL_NANOS = Duration.ofMillis(2).toNanos();
  private static final long MAX_POLL_NANOS = Duration.ofMillis(25).toNanos();

  private ProcessExit() {}

  /** True when {@code pid} is gone or a zombie. */
  static boolean exited(int pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      // "pid (comm) S ...": comm may contain spaces and parentheses; the state follows the last ')'.
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state == 'Z' || state == 'X';
    } catch (NoSuchFileException e) {
      return true;
    } catch (IOException | StringIndexOutOfBoundsException e) {
      return !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
  }

  /** Waits up to {@code timeout}; true when {@code pid} exited in time. */
  static boolean await(int pid, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long poll = FIRST_POLL_NANOS;
    while (!exited(pid)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      LockSupport.parkNanos(Math.min(poll, left));
      if (Thread.interrupted()) {
        Thread.currentThread().interrupt();
        return exited(pid);
      }
      poll = Math.min(poll * 2, MAX_POLL_NANOS);
    }
    return true;
  }
}
