package io.ferry.agent.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class ContainerLifecycleTest {

  @ParameterizedTest
  @CsvSource({
    "STOPPED, STARTING",
    "STARTING, RUNNING",
    "STARTING, STOPPED",
    "RUNNING, FROZEN",
    "FROZEN, RUNNING",
    "RUNNING, STOPPING",
    "STOPPING, STOPPED",
    "STOPPING, CHECKPOINTED",
    "STOPPING, RUNNING",
    "CHECKPOINTED, STARTING",
    "RUNNING, STOPPED",
    "ERROR, RUNNING",
  })
  void allowsTheMovesInTheDiagram(ContainerStatus from, ContainerStatus to) {
    assertThat(ContainerLifecycle.allowed(from, to)).isTrue();
  }

  @ParameterizedTest
  @CsvSource({
    "STOPPED, RUNNING",
    "STOPPED, FROZEN",
    "STOPPED, STOPPING",
    "FROZEN, FROZEN",
    "CHECKPOINTED, RUNNING",
    "CHECKPOINTED, FROZEN",
    "RUNNING, STARTING",
    "RUNNING, CHECKPOINTED",
  })
  void refusesEverythingElse(ContainerStatus from, ContainerStatus to) {
    assertThat(ContainerLifecycle.allowed(from, to)).isFalse();
    assertThatThrownBy(() -> ContainerLifecycle.check("web", from, to, ""))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION))
        .hasMessageContaining("web")
        .hasMessageContaining(from + " to " + to);
  }

  @ParameterizedTest
  @EnumSource(ContainerStatus.class)
  void everyStatusCanFailIntoError(ContainerStatus from) {
    assertThat(ContainerLifecycle.allowed(from, ContainerStatus.ERROR)).isTrue();
  }
}
