package io.ferry.cli.commands;

import io.ferry.cli.output.EventView;
import io.ferry.cli.output.JsonOutput;
import io.ferry.proto.v1.Event;
import io.ferry.proto.v1.EventKind;
import io.ferry.proto.v1.EventServiceGrpc;
import io.ferry.proto.v1.WatchEventsRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ferry events}: the cluster's lifecycle events as they happen, one line each (one JSON
 * object per line with {@code -o json}), until interrupted or the coordinator ends the stream.
 *
 * <p>This stream has no deadline: it is meant to run until Ctrl-C. When its coordinator goes away
 * it reconnects to the next one (a note on stderr: events in the gap are not replayed); it gives
 * up, exit 1, only when no coordinator answers.
 */
@Command(name = "events", description = "Print the cluster's events as they happen, until interrupted.")
public final class EventsCommand extends ClusterCommand {

  @Option(names = "--kind", paramLabel = "container|host|operation", description = "only events of this kind (repeatable)")
  List<String> kinds = new ArrayList<>();

  @Override
  int run() throws Exception {
    WatchEventsRequest.Builder request = WatchEventsRequest.newBuilder();
    for (String kind : kinds) {
      request.addKinds(Arguments.choice(spec, "--kind", kind, EventKind.class, "EVENT_KIND_"));
    }
    while (true) {
      boolean[] received = {false};
      try {
        client().call((channel, address) -> {
          boolean receivedHere = false;
          try {
            Iterator<Event> events = EventServiceGrpc.newBlockingStub(channel).watchEvents(request.build());
            while (events.hasNext()) {
              Event e = events.next();
              receivedHere = true;
              received[0] = true;
              if (e.getKind() == EventKind.EVENT_KIND_UNSPECIFIED) {
                continue; // The marker that the subscription is in place: nothing happened.
              }
              out().print(json() ? JsonOutput.line(e) : EventView.line(e));
              out().flush();
            }
            return null;
          } catch (StatusRuntimeException e) {
            if (receivedHere && e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
              err().println("events: lost " + address + " (" + e.getStatus().getDescription()
                  + "); reconnecting, events in between are not replayed");
              err().flush();
            }
            throw e;
          }
        });
        return 0;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || !received[0]) {
          throw e;
        }
      }
    }
  }
}
