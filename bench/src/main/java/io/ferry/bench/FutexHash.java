package io.ferry.bench;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.util.Optional;

/**
 * Puts this process's futexes in the kernel's global futex hash table instead of its private one.
 *
 * <p>Why a benchmark needs this: since Linux 6.16 ({@code CONFIG_FUTEX_PRIVATE_HASH}) a threaded
 * process gets a private futex hash sized by {@code min(threads, online CPUs)}: 16 buckets on a
 * 2-CPU machine, whatever its thread count. The placement and list benchmarks run 1,000 Helix
 * participants in one JVM, about 7,000 threads, so every futex wake (each thread hand-off:
 * executors, locks, gRPC, ZooKeeper) walks chains of ~440 waiters under a spinlock: measured
 * here, {@code futex_wake} was a third of all CPU samples, and a two-thread hand-off ran at 6,200
 * round trips/s with 7,000 idle threads against 15,000 with none. Real agents are separate
 * processes and a coordinator has a few hundred threads, so this is an artifact of the
 * benchmark's packing; {@code prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_SET_SLOTS, 0)} (global hash,
 * 256 buckets per CPU, shared) removes it (26,000-44,000 round trips/s with 7,000 idle threads).
 *
 * <p>Needs the JVM flags {@code --add-modules jdk.incubator.foreign
 * --enable-native-access=ALL-UNNAMED} (bench/run.sh passes them; Java 17's foreign-function API is
 * an incubator module, reached here by reflection so the bench compiles without it). Without them,
 * or on a kernel without private futex hashes, nothing changes and {@link #useGlobal()} says why.
 */
final class FutexHash {

  private static final int PR_FUTEX_HASH = 78;
  private static final long PR_FUTEX_HASH_SET_SLOTS = 1;
  private static final long PR_FUTEX_HASH_GET_SLOTS = 2;

  private FutexHash() {}

  /**
   * Switches to the global hash; returns what this process uses afterwards, as a figure: {@code
   * global}, {@code private-N} (N buckets), or {@code unchanged:no-ffi|unsupported|failed} (the
   * details go to stderr).
   */
  static String useGlobal() {
    MethodHandle prctl;
    try {
      prctl = prctl();
    } catch (ReflectiveOperationException | RuntimeException e) {
      Progress.log("futex hash left as it is: no foreign-function access (%s); run through bench/run.sh", e);
      return "unchanged:no-ffi";
    }
    try {
      int set = (int) prctl.invokeExact(PR_FUTEX_HASH, PR_FUTEX_HASH_SET_SLOTS, 0L, 0L, 0L);
      int slots = (int) prctl.invokeExact(PR_FUTEX_HASH, PR_FUTEX_HASH_GET_SLOTS, 0L, 0L, 0L);
      if (set != 0 || slots < 0) {
        Progress.log("futex hash left as it is: this kernel has no prctl PR_FUTEX_HASH");
        return "unchanged:unsupported";
      }
      return slots == 0 ? "global" : "private-" + slots;
    } catch (Throwable e) {
      Progress.log("futex hash left as it is: prctl failed: %s", e);
      return "unchanged:failed";
    }
  }

  /** {@code int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)} from libc. */
  private static MethodHandle prctl() throws ReflectiveOperationException {
    Class<?> linkerType = Class.forName("jdk.incubator.foreign.CLinker");
    Class<?> layoutType = Class.forName("jdk.incubator.foreign.MemoryLayout");
    Class<?> descriptorType = Class.forName("jdk.incubator.foreign.FunctionDescriptor");
    Object lookup = linkerType.getMethod("systemLookup").invoke(null);
    Optional<?> symbol =
        (Optional<?>) Class.forName("jdk.incubator.foreign.SymbolLookup").getMethod("lookup", String.class).invoke(lookup, "prctl");
    if (symbol.isEmpty()) {
      throw new IllegalStateException("no prctl in libc");
    }
    Object cInt = linkerType.getField("C_INT").get(null);
    Object cLong = linkerType.getField("C_LONG").get(null);
    Object arguments = Array.newInstance(layoutType, 5);
    Array.set(arguments, 0, cInt);
    for (int i = 1; i < 5; i++) {
      Array.set(arguments, i, cLong);
    }
    Object descriptor = descriptorType.getMethod("of", layoutType, arguments.getClass()).invoke(null, cInt, arguments);
    Object linker = linkerType.getMethod("getInstance").invoke(null);
    return (MethodHandle)
        linkerType
            .getMethod("downcallHandle", Class.forName("jdk.incubator.foreign.Addressable"), MethodType.class, descriptorType)
            .invoke(linker, symbol.get(), MethodType.methodType(int.class, int.class, long.class, long.class, long.class, long.class), descriptor);
  }
}
