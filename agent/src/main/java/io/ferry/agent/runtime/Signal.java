package io.ferry.agent.runtime;

import io.ferry.agent.AgentException;
import java.util.Objects;

/**
 * A signal sent to a container's processes, by Linux number. The constants cover what the agent
 * sends: {@link #TERM} and {@link #KILL} to stop generic inits, {@link #SYSTEMD_HALT} (SIGRTMIN+3)
 * for a clean systemd shutdown, {@link #SYSTEMD_POWEROFF} (SIGRTMIN+4).
 *
 * @param name the conventional name, for messages
 * @param number the signal number on Linux (x86-64 and arm64 numbering)
 */
public record Signal(String name, int number) {

  /** glibc's SIGRTMIN, the base systemd counts its real-time signals from. */
  private static final int RTMIN = 34;

  private static final int MAX = 64;

  public static final Signal HUP = new Signal("SIGHUP", 1);
  public static final Signal INT = new Signal("SIGINT", 2);
  public static final Signal KILL = new Signal("SIGKILL", 9);
  public static final Signal USR1 = new Signal("SIGUSR1", 10);
  public static final Signal USR2 = new Signal("SIGUSR2", 12);
  public static final Signal TERM = new Signal("SIGTERM", 15);
  public static final Signal CONT = new Signal("SIGCONT", 18);
  public static final Signal PWR = new Signal("SIGPWR", 30);
  public static final Signal SYSTEMD_HALT = realtime(3);
  public static final Signal SYSTEMD_POWEROFF = realtime(4);

  public Signal {
    Objects.requireNonNull(name, "name");
    if (number < 1 || number > MAX) {
      throw AgentException.invalid("signal " + name + " has number " + number + ", not in [1, " + MAX + "]");
    }
  }

  /** SIGRTMIN+{@code offset}, as systemd and glibc number them. */
  public static Signal realtime(int offset) {
    return new Signal("SIGRTMIN+" + offset, RTMIN + offset);
  }

  @Override
  public String toString() {
    return name;
  }
}
