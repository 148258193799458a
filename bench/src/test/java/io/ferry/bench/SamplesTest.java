package io.ferry.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SamplesTest {

  @Test
  void nearestRankPercentilesOfUnsortedSamples() {
    Samples s = new Samples(new double[] {5, 1, 4, 2, 3, 10, 9, 8, 7, 6});

    assertThat(s.percentile(50)).isEqualTo(5);
    assertThat(s.percentile(90)).isEqualTo(9);
    assertThat(s.percentile(99)).isEqualTo(10);
    assertThat(s.percentile(100)).isEqualTo(10);
    assertThat(s.percentile(1)).isEqualTo(1);
    assertThat(s.mean()).isEqualTo(5.5);
  }

  @Test
  void refusesNoSamplesAndBadPercentiles() {
    assertThatThrownBy(() -> new Samples(new double[0])).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Samples(new double[] {1}).percentile(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void formatsWithADotWhateverTheLocale() {
    assertThat(Samples.format(41.2)).isEqualTo("41.200");
  }

  @Test
  void parsesKeyValueOptionsAndRejectsStrays() {
    assertThat(BenchMain.parseOptions(new String[] {"x", "--runs", "5", "--warmup", "1"}))
        .containsExactly(Map.entry("runs", "5"), Map.entry("warmup", "1"));
    assertThatThrownBy(() -> BenchMain.parseOptions(new String[] {"x", "--runs"}))
        .hasMessageContaining("--runs");
  }

  @Test
  void everyBenchmarkHasAUniqueKebabCaseName() {
    assertThat(BenchMain.BENCHMARKS).extracting(Benchmark::name).doesNotHaveDuplicates().allMatch(n -> n.matches("[a-z]+(-[a-z]+)*"));
  }

  @Test
  void processSpawnReportsFiguresBesideItsBaseline() throws Exception {
    Map<String, String> figures = new ProcessSpawnBenchmark().run(Map.of("runs", "5", "warmup", "1"));

    assertThat(figures).containsKeys("command_p50_ms", "baseline_processbuilder_p50_ms", "ratio_p50");
    assertThat(Double.parseDouble(figures.get("command_p50_ms"))).isPositive();
    assertThat(figures.keySet()).allMatch(k -> k.matches("[a-z0-9_]+"));
  }
}
