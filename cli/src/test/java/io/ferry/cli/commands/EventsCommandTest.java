package io.ferry.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import io.ferry.cli.testing.CliHarness;
import io.ferry.cli.testing.CliHarness.Result;
import io.ferry.cli.testing.FakeCoordinator;
import io.ferry.proto.v1.Event;
import io.ferry.proto.v1.EventKind;
import io.ferry.proto.v1.WatchEventsRequest;
import io.grpc.Status;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EventsCommandTest extends ClusterCommandTest {

  private static final List<Event> EVENTS = List.of(
      Event.newBuilder().setKind(EventKind.EVENT_KIND_CONTAINER).setAt(Timestamp.newBuilder().setSeconds(1_780_000_000))
          .setSubject("web-1").setAction("placed").setHost("host-2").setDetail("spread score 0.71").build(),
      Event.newBuilder().setKind(EventKind.EVENT_KIND_HOST).setAt(Timestamp.newBuilder().setSeconds(1_780_000_001))
          .setSubject("host-3").setAction("offline").build());

  @BeforeEach
  void setUp() {
    coordinator.events = EVENTS;
  }

  @Test
  void printsALinePerEventUntilTheStreamEnds() {
    Result r = cli.run("events");

    assertThat(r.exit()).isZero();
    assertThat(r.out()).isEqualTo(
        "2026-05-28T20:26:40Z container web-1 placed [host-2] spread score 0.71\n"
            + "2026-05-28T20:26:41Z host host-3 offline\n");
    assertThat(coordinator.last(WatchEventsRequest.class).getKindsList()).isEmpty();
  }

  @Test
  void jsonIsOneObjectPerLine() {
    Result r = cli.run("events", "-o", "json");

    assertThat(r.out().lines().toList()).hasSize(2);
    assertThat(r.out().lines().toList().get(0))
        .startsWith("{\"kind\":\"EVENT_KIND_CONTAINER\"")
        .contains("\"subject\":\"web-1\"")
        .endsWith("}");
  }

  @Test
  void kindsAreSentAndAnUnknownKindIsAUsageError() {
    assertThat(cli.run("events", "--kind", "container", "--kind", "operation").exit()).isZero();
    assertThat(coordinator.last(WatchEventsRequest.class).getKindsList())
        .containsExactly(EventKind.EVENT_KIND_CONTAINER, EventKind.EVENT_KIND_OPERATION);

    Result bad = cli.run("events", "--kind", "disk");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("--kind must be one of container, host, operation, not 'disk'");
  }

  @Test
  void aCoordinatorLostMidStreamIsReplacedByTheNextWithANote() throws Exception {
    coordinator.eventsEndWith = Status.UNAVAILABLE.withDescription("coordinator shutting down");
    FakeCoordinator second = cli.start("c2:7700");
    second.events = List.of(Event.newBuilder().setKind(EventKind.EVENT_KIND_CONTAINER).setSubject("web-2").setAction("running").build());

    Result r = cli.run("events", "--coordinator", CliHarness.ADDRESS + ",c2:7700");

    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).contains("web-1 placed").contains("host-3 offline").endsWith("container web-2 running\n");
    assertThat(r.err()).isEqualTo(
        "events: lost c1:7700 (coordinator shutting down); reconnecting, events in between are not replayed\n");
  }

  @Test
  void whenNoCoordinatorAnswersItExitsOne() {
    Result r = cli.run("events", "--coordinator", "dead-1:7700,dead-2:7700", "--retry-for", "0");

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("Error: UNAVAILABLE: no coordinator answered: dead-1:7700 (").contains("dead-2:7700 (");
  }
}
