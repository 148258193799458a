package io.ferry.bench;

import io.ferry.common.process.Command;
import java.io.File;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The cost of Ferry's {@link Command} wrapper, which every runc and CRIU call goes through
 * (timeouts, output captured through temporary files), against a bare {@link ProcessBuilder} that
 * discards output: the baseline. Runs {@code /bin/true}.
 *
 * <p>Options: {@code --runs N} (default 200), {@code --warmup N} (default 20).
 */
final class ProcessSpawnBenchmark implements Benchmark {

  @Override
  public String name() {
    return "process-spawn";
  }

  @Override
  public String description() {
    return "latency of Ferry's external-command runner vs a bare ProcessBuilder (baseline)";
  }

  @Override
  public Map<String, String> run(Map<String, String> options) throws Exception {
    int runs = Integer.parseInt(options.getOrDefault("runs", "200"));
    int warmup = Integer.parseInt(options.getOrDefault("warmup", "20"));
    Command ferry = Command.of("/bin/true");
    for (int i = 0; i < warmup; i++) {
      ferry.check();
      bare();
    }
    double[] ferryMs = new double[runs];
    double[] bareMs = new double[runs];
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      ferry.check();
      long t1 = System.nanoTime();
      bare();
      long t2 = System.nanoTime();
      ferryMs[i] = (t1 - t0) / 1e6;
      bareMs[i] = (t2 - t1) / 1e6;
    }
    Samples f = new Samples(ferryMs);
    Samples b = new Samples(bareMs);
    Map<String, String> out = new LinkedHashMap<>();
    out.put("runs", String.valueOf(runs));
    out.put("command_p50_ms", Samples.format(f.percentile(50)));
    out.put("command_p99_ms", Samples.format(f.percentile(99)));
    out.put("baseline_processbuilder_p50_ms", Samples.format(b.percentile(50)));
    out.put("baseline_processbuilder_p99_ms", Samples.format(b.percentile(99)));
    out.put("ratio_p50", Samples.format(f.percentile(50) / b.percentile(50)));
    return out;
  }

  private static void bare() throws Exception {
    Process p =
        new ProcessBuilder("/bin/true")
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("/bin/true failed");
    }
  }
}
