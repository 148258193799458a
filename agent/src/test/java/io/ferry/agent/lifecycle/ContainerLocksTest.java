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

  @Test
  void aCallerWaitsOutTheAgentsOwnBriefCheckInsteadOfBeingRefused() throws Exception {
    ContainerLocks.Guard check = locks.acquire("web", ExitWatcher.CHECK);
    java.util.concurrent.CompletableFuture<String> stop = new java.util.concurrent.CompletableFuture<>();
    Thread caller = new Thread(() -> {
      try (ContainerLocks.Guard g = locks.acquire("web", "stop")) {
        stop.complete(locks.operationOn("web"));
      } catch (RuntimeException e) {
        stop.completeExceptionally(e);
      }
    });
    caller.start();
    // The caller is parked waiting for the check, not refused.
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(1))
        .until(() -> caller.getState() == Thread.State.TIMED_WAITING || stop.isDone());
    assertThat(stop).isNotDone();

    check.close();

    assertThat(stop.get(2, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("stop");
  }
}
