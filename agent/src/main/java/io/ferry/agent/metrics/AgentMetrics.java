package io.ferry.agent.metrics;

import io.ferry.agent.lifecycle.ContainerStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The agent's metrics, in Prometheus form: containers by status, latency histograms of
 * operations (create, start, stop, checkpoint, ...) and errors by operation and kind.
 *
 * <p>Thread-safe (Micrometer meters are).
 */
public final class AgentMetrics {

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  /** @param countsByStatus current number of containers in each status; called on every scrape */
  public AgentMetrics(String hostName, Supplier<Map<ContainerStatus, Long>> countsByStatus) {
    registry.config().commonTags("host", hostName);
    for (ContainerStatus status : ContainerStatus.values()) {
      Gauge.builder("ferry_agent_containers", () -> countsByStatus.get().getOrDefault(status, 0L))
          .description("containers on this host by status")
          .tag("status", status.name().toLowerCase(Locale.ROOT))
          .register(registry);
    }
  }

  /** Records how long one successful operation took. */
  public void recordOperation(String operation, Duration elapsed) {
    Timer.builder("ferry_agent_operation_seconds")
        .description("latency of container operations")
        .tag("operation", operation)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofMinutes(2))
        .register(registry)
        .record(elapsed);
  }

  /** Counts one failed operation by the kind of failure. */
  public void recordError(String operation, String kind) {
    Counter.builder("ferry_agent_operation_errors_total")
        .description("failed container operations")
        .tag("operation", operation)
        .tag("kind", kind.toLowerCase(Locale.ROOT))
        .register(registry)
        .increment();
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }
}
