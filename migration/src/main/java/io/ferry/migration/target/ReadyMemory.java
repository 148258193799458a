package io.ferry.migration.target;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Unsafe;

/**
 * Memory a target touches before a live move's frozen window and frees piece by piece as the
 * incoming pages and the restore need it, so that the kernel hands them pages that are already
 * backed.
 *
 * <p>Why: on a virtual machine whose balloon reports free pages to the hypervisor (free page
 * reporting; the Firecracker VMs this project runs on do), the first touch of memory the guest freed
 * a while ago traps to the hypervisor. Reading 1 GiB of pages into fresh memory took 2.6 s there,
 * into memory freed a moment before 0.7 s (a CRIU restore is such a read, inside the frozen window).
 * The page server's writes of the incoming pages into the page cache pay the same price. On a
 * machine without such a balloon this costs a little memory for a moment and saves nothing.
 *
 * <p>The memory is the process's own (outside the Java heap, not counted as direct memory), in
 * chunks of {@link #CHUNK} bytes, each zeroed once (which touches every page) and freed whole (the C
 * library gives chunks this large back to the kernel at once). All instances together (several
 * moves into one host, as in an evacuation) take at most half of the memory available when each
 * began; a move that finds no room left touches nothing.
 *
 * <p>Chunks are freed on a thread of their own ({@link #FREEING}), not by the caller: freeing 1 GiB
 * of touched memory takes about 100 ms here, and the callers are the thread receiving the pages and
 * the restore, inside the frozen window. The kernel gets a chunk back a few milliseconds after it is
 * released; the budget below counts it as given back at once.
 *
 * <p>Thread-safe. Failure modes: none surface; without {@code sun.misc.Unsafe}, or with too little
 * memory available, nothing is touched and the move proceeds as without it.
 */
final class ReadyMemory implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ReadyMemory.class);
  static final long CHUNK = 64L << 20;
  /** System property: {@code false} turns this off (an agent then touches no memory ahead). */
  static final String ENABLED = "ferry.migration.ready-memory";
  private static final Unsafe UNSAFE = unsafe();
  /** Frees released chunks, one at a time, oldest first; shared by all instances. */
  private static final ExecutorService FREEING = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "ready-memory-free");
    t.setDaemon(true);
    return t;
  });
  /** Bytes handed to {@link #FREEING} and not freed yet. */
  private static final AtomicLong BEING_FREED = new AtomicLong();

  /**
   * Bytes every live instance may still hold (touched or about to be): with several moves into
   * this host at once (an evacuation), together they stay within half of what was available.
   */
  private static long promisedInAll;

  private final Deque<Long> chunks = new ArrayDeque<>();
  private final CountDownLatch touched = new CountDownLatch(1);
  private long owed;
  private boolean closed;
  /** What this instance may still hold: its chunks, and those it has yet to touch. */
  private long promised;

  private ReadyMemory() {}

  /** Holds nothing. */
  static ReadyMemory none() {
    ReadyMemory nothing = new ReadyMemory();
    nothing.touched.countDown();
    return nothing;
  }

  /**
   * Starts touching {@code bytes} (in whole chunks, within half the available memory less what the
   * other instances may hold) on a thread of its own.
   */
  static ReadyMemory touch(long bytes, String name) {
    if (UNSAFE == null || bytes < CHUNK || !Boolean.parseBoolean(System.getProperty(ENABLED, "true"))) {
      return none(); // less than a chunk is not worth it
    }
    long count;
    synchronized (ReadyMemory.class) {
      long room = availableBytes() / 2 - promisedInAll;
      count = Math.min((bytes + CHUNK - 1) / CHUNK, Math.max(0, room) / CHUNK);
      if (count == 0) {
        return none();
      }
      promisedInAll += count * CHUNK;
    }
    ReadyMemory memory = new ReadyMemory();
    memory.promised = count * CHUNK;
    Thread toucher = new Thread(() -> memory.fill(count), "ready-memory-" + name);
    toucher.setDaemon(true);
    toucher.start();
    return memory;
  }

  private void fill(long count) {
    long started = System.nanoTime();
    try {
      for (long i = 0; i < count; i++) {
        long address = UNSAFE.allocateMemory(CHUNK);
        UNSAFE.setMemory(address, CHUNK, (byte) 0);
        synchronized (this) {
          if (closed) {
            UNSAFE.freeMemory(address);
            return;
          }
          if (owed >= CHUNK) {
            owed -= CHUNK; // released before it was even touched
            UNSAFE.freeMemory(address);
            unpromise(CHUNK);
          } else {
            chunks.add(address);
          }
        }
      }
      log.info("ready memory: {} MiB touched in {} ms", count * (CHUNK >> 20), (System.nanoTime() - started) / 1_000_000);
    } catch (OutOfMemoryError e) {
      log.info("ready memory: stopped touching: {}", e.getMessage());
    } finally {
      synchronized (this) {
        unpromise(promised - chunks.size() * CHUNK); // chunks it will never touch now
      }
      touched.countDown();
    }
  }

  /** Gives back {@code bytes} of this instance's promise (at most what is left of it). Holding this. */
  private void unpromise(long bytes) {
    long n = Math.min(Math.max(0, bytes), promised);
    promised -= n;
    synchronized (ReadyMemory.class) {
      promisedInAll -= n;
    }
  }

  /** What all instances may still hold (for tests). */
  static synchronized long promisedInAll() {
    return promisedInAll;
  }

  /** Waits until all of it is touched (or the touching stopped); false when {@code timeout} passed. */
  boolean awaitTouched(Duration timeout) throws InterruptedException {
    return touched.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Frees {@code bytes} of it for what arrives now: a whole chunk once that much has been asked for
   * in all, oldest chunk first.
   */
  synchronized void release(long bytes) {
    owed += bytes;
    while (owed >= CHUNK && !chunks.isEmpty()) {
      freeLater(chunks.poll());
      owed -= CHUNK;
      unpromise(CHUNK);
    }
  }

  /** Hands one chunk to {@link #FREEING}. */
  private static void freeLater(long address) {
    BEING_FREED.addAndGet(CHUNK);
    FREEING.execute(() -> {
      UNSAFE.freeMemory(address);
      BEING_FREED.addAndGet(-CHUNK);
    });
  }

  /** Bytes released by any instance that the kernel has not got back yet (for tests). */
  static long beingFreed() {
    return BEING_FREED.get();
  }

  /** How much it holds now. */
  synchronized long heldBytes() {
    return chunks.size() * CHUNK;
  }

  /**
   * Frees all of it (on {@link #FREEING}: this returns at once), and whatever is still being touched
   * as soon as it is.
   */
  @Override
  public synchronized void close() {
    closed = true;
    while (!chunks.isEmpty()) {
      freeLater(chunks.poll());
    }
    unpromise(promised);
  }

  /** MemAvailable of /proc/meminfo; 0 when unknown (so nothing is touched). */
  static long availableBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemAvailable:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      log.debug("cannot read MemAvailable: {}", e.toString());
    }
    return 0;
  }

  private static Unsafe unsafe() {
    try {
      Field f = Unsafe.class.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      return (Unsafe) f.get(null);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LoggerFactory.getLogger(ReadyMemory.class).info("no ready memory for migrations: {}", e.toString());
      return null;
    }
  }
}
