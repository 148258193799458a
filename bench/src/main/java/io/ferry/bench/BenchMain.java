package io.ferry.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bench/run.sh NAME [--key value ...]} and {@code bench/run.sh --list}. Prints only {@code
 * key=value} lines on stdout (one figure each); everything else goes to stderr. Exit code 2 on bad
 * usage.
 */
public final class BenchMain {

  /** Every benchmark, registered explicitly. */
  static final List<Benchmark> BENCHMARKS = 
      List.of(new ProcessSpawnBenchmark(), new AgentLaunchBenchmark(), new AgentStopBenchmark(), new PlacementBenchmark(), new ListBenchmark(),
          new MigrationBenchmark());

  private BenchMain() {}

  public static void main(String[] args) throws Exception {
    // Benchmarks run the agent in this JVM: spawn processes as the agent's own main does.
    io.ferry.agent.AgentMain.useFastProcessSpawn();
    if (args.length == 0) {
      usage("a benchmark name or --list is required");
    }
    if (args[0].equals("--list")) {
      BENCHMARKS.forEach(b -> System.out.println(b.name() + "\t" + b.description()));
      return;
    }
    Benchmark benchmark =
        BENCHMARKS.stream().filter(b -> b.name().equals(args[0])).findFirst().orElse(null);
    if (benchmark == null) {
      usage("unknown benchmark '" + args[0] + "'");
      return;
    }
    Map<String, String> options = parseOptions(args);
    benchmark.run(options).forEach((k, v) -> System.out.println(k + "=" + v));
    System.out.flush();
    // Every benchmark closed what it started; a library thread that is not a daemon (ZooKeeper's
    // TLS leaves a Netty executor behind) must not keep this JVM, and its memory, alive after it.
    System.exit(0);
  }

  static Map<String, String> parseOptions(String[] args) {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 1; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --key value, got '" + args[i] + "'");
      }
      options.put(args[i].substring(2), args[++i]);
    }
    return options;
  }

  private static void usage(String problem) {
    System.err.println("bench: " + problem + "\nusage: bench/run.sh NAME [--key value ...] | --list");
    System.exit(2);
  }
}
