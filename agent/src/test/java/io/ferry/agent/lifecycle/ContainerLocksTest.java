package io.ferry.agent.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import org.junit.jupiter.api.Test;

class ContainerLocksTest {

  private final ContainerLocks locks = new ContainerLocks();

  @Test
  void aSecondOperationOnTheSameContainerIsRefusedNamingTheFirst() {
    try (ContainerLocks.Guard g = locks.acquire("web", "stop")) {
      assertThatThrownBy(() -> locks.acquire("web", "start"))
          .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.CONFLICT))
          .hasMessageContaining("stop is in progress");
      try (ContainerLocks.Guard other = locks.acquire("db", "start")) {
        assertThat(locks.operationOn("db")).isEqualTo("start");
      }
    }
    try (ContainerLocks.Guard again = locks.acquire("web", "start")) {
      assertThat(locks.operationOn("web")).isEqualTo("start");
    }
    assertThat(locks.operationOn("web")).isNull();
  }
}
