package io.ferry.cli.output;

import io.ferry.proto.v1.Event;
import java.util.Locale;

/** Events for people, one line each: {@code 2025-06-01T10:00:00Z container web-1 running [host-2] detail}. */
public final class EventView {

  private EventView() {}

  public static String line(Event e) {
    StringBuilder line = new StringBuilder();
    String at = Cells.time(e.getAt());
    if (!at.isEmpty()) {
      line.append(at).append(' ');
    }
    line.append(Cells.name(e.getKind(), "EVENT_KIND_").toLowerCase(Locale.ROOT)).append(' ')
        .append(e.getSubject()).append(' ')
        .append(e.getAction());
    if (!e.getHost().isEmpty()) {
      line.append(" [").append(e.getHost()).append(']');
    }
    if (!e.getDetail().isEmpty()) {
      line.append(' ').append(e.getDetail());
    }
    return line.append('\n').toString();
  }
}
