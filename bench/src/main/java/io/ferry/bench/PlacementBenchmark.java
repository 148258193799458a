package io.ferry.bench;

import io.ferry.coordinator.store.ClusterPaths;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code placement}: how fast the coordinator places and launches containers on 10, 100 and 1,000
 * simulated hosts ({@link SimulatedHosts}: the real agent protocol and real Helix membership, no
 * containers run). For each host count, on a fresh cluster ({@link BenchCluster}):
 *
 * <ul>
 *   <li>a warm-up of {@code --warmup} launches (JIT, connections to every agent), then {@code
 *       --containers} launches through {@code ContainerService.Launch}, {@code --in-flight}
 *       outstanding ({@link LaunchDriver});
 *   <li>{@code placements_per_s_N_hosts}: acknowledged Launch calls per second, each a placement
 *       decision plus its ZooKeeper reservation transaction; {@code launch_call_p50_ms_N_hosts} and
 *       p99: their latency;
 *   <li>{@code launches_per_s_N_hosts}: launch operations that reached SUCCEEDED per second, from
 *       the first call (the agent's create and start, the progress and the end recorded);
 *   <li>baselines in the same run: {@code zk_txn_per_s_N_hosts}, raw ZooKeeper multi transactions
 *       of the launch's four nodes at their real sizes, same server, same concurrency ({@link
 *       ZooKeeperBaseline}); {@code placer_decisions_per_s_N_hosts}, the in-memory placer alone
 *       ({@link PlacerBaseline}).
 * </ul>
 *
 * Also {@code join_N_hosts_s} (all Helix participants connected), {@code used_heap_mb_10000}
 * (this JVM's heap after a full GC with the containers placed on the largest cluster: coordinator,
 * embedded ZooKeeper and simulated agents together) and the JVM's thread count then.
 *
 * <p>The JVM's futexes go to the kernel's global hash first ({@link FutexHash}: 7,000 threads in
 * one process otherwise share 16 futex buckets on this 2-CPU machine); {@code futex_hash} says what
 * was used, {@code --futex-hash default} leaves it alone.
 *
 * <p>Options: {@code --hosts 10,100,1000}, {@code --containers 10000}, {@code --in-flight 128},
 * {@code --warmup 2000}, {@code --join-parallelism 16}, {@code --futex-hash global|default}.
 */
final class PlacementBenchmark implements Benchmark {

  /**
   * Launch calls outstanding by default. A throughput figure is taken at saturation: with 32 calls
   * in flight the rate is bounded by one call's latency under load (Little's law: 32 / 0.09 s),
   * which measures the clients' concurrency more than the coordinator's capacity; 128 keeps the
   * coordinator busy (see docs/BENCHMARKS.md, where both are recorded).
   */
  static final int DEFAULT_IN_FLIGHT = 128;

  @Override
  public String name() {
    return "placement";
  }

  @Override
  public String description() {
    return "launches/s through the coordinator on 10, 100, 1000 simulated hosts vs raw ZooKeeper transactions and the in-memory placer";
  }

  @Override
  public Map<String, String> run(Map<String, String> options) throws Exception {
    List<Integer> hostCounts = java.util.Arrays.stream(options.getOrDefault("hosts", "10,100,1000").split(",")).map(String::trim).map(Integer::parseInt).toList();
    int containers = Integer.parseInt(options.getOrDefault("containers", "10000"));
    int inFlight = Integer.parseInt(options.getOrDefault("in-flight", String.valueOf(DEFAULT_IN_FLIGHT)));
    int warmup = Integer.parseInt(options.getOrDefault("warmup", "2000"));
    int joinParallelism = Integer.parseInt(options.getOrDefault("join-parallelism", "16"));
    int largest = hostCounts.stream().mapToInt(Integer::intValue).max().orElseThrow();

    Map<String, String> out = new LinkedHashMap<>();
    out.put("futex_hash", options.getOrDefault("futex-hash", "global").equals("global") ? FutexHash.useGlobal() : "default");
    out.put("containers", String.valueOf(containers));
    out.put("in_flight", String.valueOf(inFlight));
    // The placer alone first, on an idle machine (no cluster in this JVM yet).
    Map<Integer, Double> placer = new LinkedHashMap<>();
    for (int hosts : hostCounts) {
      Progress.log("baseline: the placer alone on %d hosts", hosts);
      placer.put(hosts, PlacerBaseline.decisionsPerSecond(hosts, 3));
    }
    for (int hosts : hostCounts) {
      Progress.log("placement: %d hosts, %d containers, %d launch calls in flight", hosts, containers, inFlight);
      try (BenchCluster cluster = BenchCluster.start(hosts, joinParallelism)) {
        out.put("join_" + hosts + "_hosts_s", Samples.format(cluster.joinSeconds));
        if (warmup > 0) {
          Progress.log("warm-up: %d launches", warmup);
          check(LaunchDriver.run(cluster, "warm", warmup, inFlight, Duration.ofMinutes(5)), warmup);
        }
        Progress.log("measuring: %d launches", containers);
        LaunchDriver.Result r = LaunchDriver.run(cluster, "c", containers, inFlight, Duration.ofMinutes(8));
        check(r, containers);
        long onHosts = cluster.hosts.running();
        if (onHosts != (long) warmup + containers) {
          throw new IllegalStateException("the simulated hosts run " + onHosts + " containers, expected " + (warmup + containers));
        }
        out.put("placements_per_s_" + hosts + "_hosts", Samples.format(r.placementsPerSecond()));
        out.put("launches_per_s_" + hosts + "_hosts", Samples.format(r.launchesPerSecond()));
        out.put("launch_call_p50_ms_" + hosts + "_hosts", Samples.format(r.callLatency().percentile(50)));
        out.put("launch_call_p99_ms_" + hosts + "_hosts", Samples.format(r.callLatency().percentile(99)));
        out.put("launch_retries_" + hosts + "_hosts", String.valueOf(r.retries()));
        Progress.log("%d hosts: %.0f placements/s, %.0f launches/s end to end", hosts, r.placementsPerSecond(), r.launchesPerSecond());

        if (hosts == largest) {
          out.put("used_heap_mb_" + containers, Samples.format(usedHeapMiB()));
          out.put("threads_" + hosts + "_hosts", String.valueOf(ManagementFactory.getThreadMXBean().getThreadCount()));
        }

        Progress.log("baseline: raw ZooKeeper transactions");
        try (ZooKeeperBaseline zk = new ZooKeeperBaseline(cluster.zookeeper.connectString())) {
          LaunchDriver.Launched s = r.sample();
          ZooKeeperBaseline.LaunchSizes sizes = zk.sizesOf(new ClusterPaths(BenchCluster.CLUSTER), s.container(), s.host(), s.operationId());
          Progress.log("  launch transaction: %s", ZooKeeperBaseline.describe(sizes));
          double txns = zk.launchLikeTransactionsPerSecond(containers, inFlight, hosts, sizes);
          out.put("zk_txn_per_s_" + hosts + "_hosts", Samples.format(txns));
          out.put("placements_vs_zk_txn_" + hosts + "_hosts", Samples.format(r.placementsPerSecond() / txns));
        }
      }
      out.put("placer_decisions_per_s_" + hosts + "_hosts", Samples.format(placer.get(hosts)));
    }
    return out;
  }

  private static void check(LaunchDriver.Result r, int expected) {
    if (r.acked() != expected || r.succeeded() != expected) {
      throw new IllegalStateException(
          "of " + expected + " launches " + r.acked() + " were acknowledged and " + r.succeeded() + " succeeded; first error: " + r.firstError());
    }
  }

  /** This JVM's used heap after a full collection, in MiB. */
  static double usedHeapMiB() {
    System.gc();
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024.0 * 1024.0);
  }
}
