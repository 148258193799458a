package io.ferry.coordinator.metrics;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The coordinator's metrics, in Prometheus form: API latency by method and status, placements by
 * outcome, leadership (whether this coordinator leads, and how often that changed), hosts by
 * state, containers, running operations.
 *
 * <p>Thread-safe (Micrometer meters are).
 */
public final class CoordinatorMetrics {

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Counter leadershipChanges;

  /** Outcomes of a placement. */
  public enum Placement {
    PLACED,
    /** No host fits: RESOURCE_EXHAUSTED. */
    REFUSED,
    /** Lost a host to a concurrent launch and decided again. */
    RETRIED
  }

  public CoordinatorMetrics(String coordinatorId) {
    registry.config().commonTags("coordinator", coordinatorId);
    leadershipChanges =
        Counter.builder("ferry_coordinator_leadership_changes_total").description("times this coordinator gained or lost leadership").register(registry);
  }

  /** Gauges read on every scrape. */
  public void gauges(Supplier<Boolean> leader, Supplier<Long> hostsOnline, Supplier<Long> hostsOffline, Supplier<Long> containers, Supplier<Long> runningOperations) {
    Gauge.builder("ferry_coordinator_leader", () -> leader.get() ? 1 : 0).description("1 while this coordinator leads the cluster").register(registry);
    Gauge.builder("ferry_cluster_hosts", hostsOnline::get).description("hosts by state").tag("state", "online").register(registry);
    Gauge.builder("ferry_cluster_hosts", hostsOffline::get).description("hosts by state").tag("state", "offline").register(registry);
    Gauge.builder("ferry_cluster_containers", containers::get).description("containers in the cluster").register(registry);
    Gauge.builder("ferry_cluster_operations_running", runningOperations::get).description("operations not yet ended").register(registry);
  }

  public void leadershipChanged() {
    leadershipChanges.increment();
  }

  public void placement(Placement outcome) {
    Counter.builder("ferry_coordinator_placements_total")
        .description("placement decisions by outcome")
        .tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
        .register(registry)
        .increment();
  }

  /** Times every public API call by method and final status. */
  public ServerInterceptor apiInterceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        long start = System.nanoTime();
        String method = call.getMethodDescriptor().getFullMethodName();
        return next.startCall(
            new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
              @Override
              public void close(Status status, Metadata trailers) {
                Timer.builder("ferry_coordinator_api_seconds")
                    .description("latency of public API calls")
                    .tag("method", method)
                    .tag("code", status.getCode().name())
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofMillis(1))
                    .maximumExpectedValue(Duration.ofMinutes(5))
                    .register(registry)
                    .record(Duration.ofNanos(System.nanoTime() - start));
                super.close(status, trailers);
              }
            },
            headers);
      }
    };
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }
}
