package io.ferry.cli.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.cli.testing.CliHarness;
import io.ferry.cli.testing.FakeCoordinator;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.GetContainerRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CoordinatorClientTest {

  private static final GetContainerRequest GET = GetContainerRequest.newBuilder().setName("web-1").build();

  private final CliHarness cluster = new CliHarness();

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  private CoordinatorClient client(String... addresses) {
    return new CoordinatorClient(List.of(addresses), cluster.channels(), Duration.ofSeconds(5), Duration.ZERO);
  }

  @Test
  void aDeadFirstCoordinatorIsSkippedForTheNextAndTheOneThatAnsweredIsTriedFirstAfterwards() throws Exception {
    FakeCoordinator second = cluster.start("c2:7700");
    second.container = FakeCoordinator.container("web-1", ContainerState.CONTAINER_STATE_STOPPED, "host-3");

    try (CoordinatorClient client = client("dead:7700", "c2:7700")) {
      assertThat(client.containers(s -> s.get(GET)).getHost()).isEqualTo("host-3");
      assertThat(client.lastAnswered()).contains("c2:7700");
      client.containers(s -> s.get(GET));
    }

    assertThat(cluster.dialled).containsExactly("dead:7700", "c2:7700");
    assertThat(second.all(GetContainerRequest.class)).hasSize(2);
  }

  @Test
  void aFollowerNamingTheLeaderSendsTheCallThereEvenWhenItWasNotGiven() throws Exception {
    FakeCoordinator follower = cluster.start("c1:7700");
    follower.failures.put("get", Status.UNAVAILABLE.withDescription("not the leader; leader is c9:7700"));
    FakeCoordinator leader = cluster.start("c9:7700");
    FakeCoordinator other = cluster.start("c2:7700");

    try (CoordinatorClient client = client("c1:7700", "c2:7700")) {
      client.containers(s -> s.get(GET));
    }

    assertThat(cluster.dialled).containsExactly("c1:7700", "c9:7700");
    assertThat(leader.all(GetContainerRequest.class)).hasSize(1);
    assertThat(other.requests).isEmpty();
  }

  @Test
  void anAnswerOtherThanUnavailableIsTheClustersAndIsNotRetried() throws Exception {
    FakeCoordinator first = cluster.start("c1:7700");
    first.failures.put("get", Status.NOT_FOUND.withDescription("no container web-1"));
    FakeCoordinator second = cluster.start("c2:7700");

    try (CoordinatorClient client = client("c1:7700", "c2:7700")) {
      assertThatThrownBy(() -> client.containers(s -> s.get(GET)))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }
    assertThat(second.requests).isEmpty();
  }

  @Test
  void whenNoneAnswersTheErrorNamesWhatEachSaid() throws Exception {
    cluster.start("c2:7700").failures.put("get", Status.UNAVAILABLE.withDescription("no leader elected yet"));

    try (CoordinatorClient client = client("dead:7700", "c2:7700")) {
      assertThatThrownBy(() -> client.containers(s -> s.get(GET)))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(e.getStatus().getDescription())
                .startsWith("no coordinator answered: dead:7700 (")
                .contains("c2:7700 (no leader elected yet)");
          });
    }
  }

  @Test
  void roundsRepeatWithGrowingBackoffUntilTheRetryBudgetIsSpent() throws Exception {
    MutableClock clock = new MutableClock();
    List<Duration> slept = new ArrayList<>();
    int[] attempts = {0};
    try (CoordinatorClient client = new CoordinatorClient(
        List.of("a:1", "b:1"), cluster.channels(), Duration.ofSeconds(5), Duration.ofSeconds(3), clock, d -> {
          slept.add(d);
          clock.now = clock.now.plus(d);
        })) {
      assertThatThrownBy(() -> client.call((channel, address) -> {
        attempts[0]++;
        throw Status.UNAVAILABLE.withDescription("electing").asRuntimeException();
      })).isInstanceOf(StatusRuntimeException.class);
    }

    assertThat(slept).containsExactly(Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1));
    assertThat(attempts[0]).isEqualTo(8);
  }

  @Test
  void aCoordinatorThatComesBackWithinTheBudgetAnswers() throws Exception {
    MutableClock clock = new MutableClock();
    int[] attempts = {0};
    try (CoordinatorClient client = new CoordinatorClient(
        List.of("a:1"), cluster.channels(), Duration.ofSeconds(5), Duration.ofSeconds(10), clock, d -> clock.now = clock.now.plus(d))) {
      String answer = client.call((channel, address) -> {
        if (++attempts[0] < 3) {
          throw Status.UNAVAILABLE.asRuntimeException();
        }
        return "ok from " + address;
      });
      assertThat(answer).isEqualTo("ok from a:1");
    }
  }

  @Test
  void theLeaderIsReadFromTheProposedMessageForm() {
    assertThat(CoordinatorClient.leaderNamedIn("not the leader; leader is 10.0.0.2:7700")).contains("10.0.0.2:7700");
    assertThat(CoordinatorClient.leaderNamedIn("not the leader; leader is coord-2.example:7700.")).contains("coord-2.example:7700");
    assertThat(CoordinatorClient.leaderNamedIn("not the leader; leader is [fd00::2]:7700")).contains("[fd00::2]:7700");
    assertThat(CoordinatorClient.leaderNamedIn("not the leader; leader is unknown")).isEmpty();
    assertThat(CoordinatorClient.leaderNamedIn(null)).isEmpty();
  }

  private static final class MutableClock extends Clock {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
