package io.ferry.agent.cluster;

import static io.ferry.agent.cluster.MemberState.CLOSED;
import static io.ferry.agent.cluster.MemberState.CONNECTING;
import static io.ferry.agent.cluster.MemberState.JOINED;
import static io.ferry.agent.cluster.MemberState.NEW;
import static io.ferry.agent.cluster.MemberState.WAITING_FOR_CLUSTER;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class MemberStateTest {

  @Test
  void joiningGoesForwardOrBackToWaitingAndEveryStateButClosedCanClose() {
    assertThat(NEW.canMoveTo(WAITING_FOR_CLUSTER)).isTrue();
    assertThat(WAITING_FOR_CLUSTER.canMoveTo(CONNECTING)).isTrue();
    assertThat(CONNECTING.canMoveTo(JOINED)).isTrue();
    assertThat(CONNECTING.canMoveTo(WAITING_FOR_CLUSTER)).as("failure, retried").isTrue();
    assertThat(JOINED.canMoveTo(WAITING_FOR_CLUSTER)).as("Helix gave up, re-join").isTrue();
    Arrays.stream(MemberState.values())
        .filter(s -> s != CLOSED)
        .forEach(s -> assertThat(s.canMoveTo(CLOSED)).as(s + " -> CLOSED").isTrue());
  }

  @Test
  void refusesSkippingStepsAndLeavingClosed() {
    assertThat(NEW.canMoveTo(JOINED)).isFalse();
    assertThat(NEW.canMoveTo(CONNECTING)).isFalse();
    assertThat(WAITING_FOR_CLUSTER.canMoveTo(JOINED)).isFalse();
    assertThat(JOINED.canMoveTo(CONNECTING)).isFalse();
    Arrays.stream(MemberState.values()).forEach(s -> assertThat(CLOSED.canMoveTo(s)).as("CLOSED -> " + s).isFalse());
  }
}
