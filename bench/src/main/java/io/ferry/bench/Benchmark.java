package io.ferry.bench;

import java.util.Map;

/**
 * One benchmark: measures Ferry doing something and, where the issue names one, a baseline doing
 * the same in the same run. The figures come back as ordered {@code key -> value} pairs whose keys
 * carry their unit ({@code launch_p50_ms}); {@link BenchMain} prints them as {@code key=value}.
 */
public interface Benchmark {

  String name();

  String description();

  /** @param options {@code --key value} options from the command line, already split */
  Map<String, String> run(Map<String, String> options) throws Exception;
}
