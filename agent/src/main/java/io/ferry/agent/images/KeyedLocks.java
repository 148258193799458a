package io.ferry.agent.images;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One mutual-exclusion lock per key (here: per image digest), created on first use and dropped
 * when nobody holds or waits for it, so the map stays as small as the work in progress.
 * Thread-safe; locks are reentrant and not fair.
 */
final class KeyedLocks {

  /** A held lock; closing it releases it. */
  interface Held extends AutoCloseable {
    @Override
    void close();
  }

  private static final class Entry {
    final ReentrantLock lock = new ReentrantLock();
    int users;
  }

  private final Map<String, Entry> entries = new HashMap<>();

  /** Blocks until {@code key}'s lock is free, then holds it. */
  Held acquire(String key) {
    Entry entry;
    synchronized (entries) {
      entry = entries.computeIfAbsent(key, k -> new Entry());
      entry.users++;
    }
    entry.lock.lock();
    return () -> {
      entry.lock.unlock();
      synchronized (entries) {
        if (--entry.users == 0) {
          entries.remove(key);
        }
      }
    };
  }

  /** Keys currently held or waited for. */
  int size() {
    synchronized (entries) {
      return entries.size();
    }
  }
}
