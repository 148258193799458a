package io.ferry.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.lifecycle.ContainerStatus;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentMetricsTest {

  @Test
  void exposesContainersByStatusLatencyAndErrors() {
    Map<ContainerStatus, Long> counts = new EnumMap<>(ContainerStatus.class);
    counts.put(ContainerStatus.RUNNING, 3L);
    AgentMetrics metrics = new AgentMetrics("host-1", () -> counts);

    metrics.recordOperation("start", Duration.ofMillis(40));
    metrics.recordError("stop", "TIMEOUT");
    counts.put(ContainerStatus.STOPPED, 2L);
    String text = metrics.scrape();

    assertThat(text)
        .contains("ferry_agent_containers{host=\"host-1\",status=\"running\"} 3.0")
        .contains("ferry_agent_containers{host=\"host-1\",status=\"stopped\"} 2.0")
        .contains("ferry_agent_containers{host=\"host-1\",status=\"frozen\"} 0.0")
        .contains("ferry_agent_operation_seconds_count{host=\"host-1\",operation=\"start\"} 1")
        .contains("ferry_agent_operation_seconds_bucket{host=\"host-1\",operation=\"start\",le=")
        .contains("ferry_agent_operation_errors_total{host=\"host-1\",kind=\"timeout\",operation=\"stop\"} 1.0");
  }
}
