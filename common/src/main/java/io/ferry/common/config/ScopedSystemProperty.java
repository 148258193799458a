package io.ferry.common.config;

import java.util.function.Supplier;

/**
 * Runs a constructor while a JVM-wide system property holds a given value, then puts the previous
 * value back, for libraries that read settings only from system properties (Helix reads its
 * ZooKeeper session timeout from {@code zk.session.timeout} when a manager is constructed).
 *
 * <p>All callers in the JVM take one lock, so two components wanting different values (an agent
 * and a coordinator in one test JVM, or many simulated agents) never see each other's value. The
 * lock is held for the whole of {@code action}: keep it to the construction that reads the
 * property. Code that reads the property without going through this class may see the temporary
 * value.
 */
public final class ScopedSystemProperty {

  private static final Object LOCK = new Object();

  private ScopedSystemProperty() {}

  /** Returns what {@code action} returns; its exceptions propagate after the value is restored. */
  public static <T> T with(String key, String value, Supplier<T> action) {
    synchronized (LOCK) {
      String previous = System.getProperty(key);
      System.setProperty(key, value);
      try {
        return action.get();
      } finally {
        if (previous == null) {
          System.clearProperty(key);
        } else {
          System.setProperty(key, previous);
        }
      }
    }
  }
}
