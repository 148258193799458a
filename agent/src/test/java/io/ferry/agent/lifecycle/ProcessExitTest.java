package io.ferry.agent.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProcessExitTest {

  @Test
  void aLiveProcessHasNotExitedAndAnAbsentOneHas() throws Exception {
    int self = (int) ProcessHandle.current().pid();
    assertThat(ProcessExit.exited(self)).isFalse();
    assertThat(ProcessExit.await(self, Duration.ofMillis(30))).isFalse();

    Process child = new ProcessBuilder("true").start();
    int pid = (int) child.pid();
    child.waitFor();
    assertThat(ProcessExit.exited(pid)).as("reaped").isTrue();
    assertThat(ProcessExit.await(pid, Duration.ofSeconds(1))).isTrue();
  }
}
