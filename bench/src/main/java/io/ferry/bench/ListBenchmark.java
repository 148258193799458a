package io.ferry.bench;

import io.ferry.coordinator.store.ClusterPaths;
import io.ferry.proto.v1.ListClusterContainersRequest;
import io.ferry.proto.v1.ListClusterContainersResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code list}: the latency of {@code ContainerService.List} of every container over gRPC, with
 * 10,000 containers placed and running on simulated hosts (the placement benchmark's cluster,
 * {@link BenchCluster}, 100 hosts by default), from the client's call until the whole answer is
 * parsed. Baseline, interleaved in the same run: reading the 10,000 container records straight
 * from ZooKeeper (their names, then every node's data with asynchronous getData), which is what
 * a coordinator without its in-memory mirror would have to do at the least.
 *
 * <p>Options: {@code --hosts 100}, {@code --containers 10000}, {@code --samples 30}, {@code
 * --in-flight 32} (for the launches that fill the cluster), {@code --futex-hash global|default}
 * (see {@link FutexHash}).
 */
final class ListBenchmark implements Benchmark {

  @Override
  public String name() {
    return "list";
  }

  @Override
  public String description() {
    return "ContainerService.List of 10,000 containers over gRPC vs reading their records straight from ZooKeeper";
  }

  @Override
  public Map<String, String> run(Map<String, String> options) throws Exception {
    int hosts = Integer.parseInt(options.getOrDefault("hosts", "100"));
    int containers = Integer.parseInt(options.getOrDefault("containers", "10000"));
    int samples = Integer.parseInt(options.getOrDefault("samples", "30"));
    int inFlight = Integer.parseInt(options.getOrDefault("in-flight", "32"));
    int warmup = 5;

    Map<String, String> out = new LinkedHashMap<>();
    out.put("futex_hash", options.getOrDefault("futex-hash", "global").equals("global") ? FutexHash.useGlobal() : "default");
    try (BenchCluster cluster = BenchCluster.start(hosts, 16)) {
      Progress.log("filling the cluster: %d launches", containers);
      LaunchDriver.Result r = LaunchDriver.run(cluster, "c", containers, inFlight, Duration.ofMinutes(8));
      if (r.succeeded() != containers) {
        throw new IllegalStateException(r.succeeded() + " of " + containers + " launches succeeded; first error: " + r.firstError());
      }
      String parent = new ClusterPaths(BenchCluster.CLUSTER).containers();
      double[] listMs = new double[samples];
      double[] zkMs = new double[samples];
      int responseBytes = 0;
      try (ZooKeeperBaseline zk = new ZooKeeperBaseline(cluster.zookeeper.connectString())) {
        Progress.log("timing %d lists (after %d unmeasured), each beside a read straight from ZooKeeper", samples, warmup);
        for (int i = -warmup; i < samples; i++) {
          long t0 = System.nanoTime();
          ListClusterContainersResponse all = cluster.containers(Duration.ofSeconds(60)).list(ListClusterContainersRequest.getDefaultInstance());
          double ms = (System.nanoTime() - t0) / 1e6;
          if (all.getContainersCount() != containers) {
            throw new IllegalStateException("List returned " + all.getContainersCount() + " containers, expected " + containers);
          }
          double zkRead = zk.readAllMillis(parent, containers);
          if (i >= 0) {
            listMs[i] = ms;
            zkMs[i] = zkRead;
          } else {
            responseBytes = all.getSerializedSize();
          }
        }
      }
      Samples list = new Samples(listMs);
      Samples zk = new Samples(zkMs);
      out.put("hosts", String.valueOf(hosts));
      out.put("samples", String.valueOf(samples));
      out.put("list_" + containers + "_p50_ms", Samples.format(list.percentile(50)));
      out.put("list_" + containers + "_p99_ms", Samples.format(list.percentile(99)));
      out.put("list_" + containers + "_response_bytes", String.valueOf(responseBytes));
      out.put("zk_read_" + containers + "_p50_ms", Samples.format(zk.percentile(50)));
      out.put("zk_read_" + containers + "_p99_ms", Samples.format(zk.percentile(99)));
      out.put("list_vs_zk_read_p50_ratio", Samples.format(list.percentile(50) / zk.percentile(50)));
    }
    return out;
  }
}
