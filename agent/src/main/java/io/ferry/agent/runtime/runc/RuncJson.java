package io.ferry.agent.runtime.runc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import io.ferry.agent.runtime.RuntimeStatus;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Parses the JSON runc prints for {@code state} (one object) and {@code list --format json} (an
 * array, or {@code null} when there is no container). Malformed output is an INTERNAL error that
 * quotes it.
 */
final class RuncJson {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private RuncJson() {}

  static RuncState parseState(String json) {
    return toState(read(json), json);
  }

  /** The containers of a {@code runc list --format json} output, ordered by id. */
  static List<RuncState> parseList(String json) {
    JsonNode root = read(json);
    if (root.isNull() || root.isMissingNode()) {
      return List.of();
    }
    if (!root.isArray()) {
      throw malformed("runc list did not print an array", json, null);
    }
    List<RuncState> states = new ArrayList<>();
    root.forEach(node -> states.add(toState(node, json)));
    states.sort(Comparator.comparing(RuncState::id));
    return List.copyOf(states);
  }

  /**
   * The init pid and creation time from libcontainer's own {@code <root>/<id>/state.json}
   * ({@code init_process_pid}, {@code created}), read right after a start to save a {@code runc
   * state} call. Empty when the file does not have that shape: callers then ask runc.
   */
  static Optional<Map.Entry<Integer, Instant>> parseStateFile(String json) {
    try {
      JsonNode root = MAPPER.readTree(json);
      JsonNode pid = root.get("init_process_pid");
      JsonNode created = root.get("created");
      if (pid == null || !pid.canConvertToInt() || pid.asInt() <= 0 || created == null || !created.isTextual()) {
        return Optional.empty();
      }
      return Optional.of(Map.entry(pid.asInt(), Instant.parse(created.asText())));
    } catch (JsonProcessingException | DateTimeParseException e) {
      return Optional.empty();
    }
  }

  /**
   * runc's status words. {@code pausing} (a freeze in progress) still counts as running: the
   * container's processes may still run until the freeze completes.
   */
  static RuntimeStatus status(String word) {
    return switch (word) {
      case "created" -> RuntimeStatus.CREATED;
      case "running", "pausing" -> RuntimeStatus.RUNNING;
      case "paused" -> RuntimeStatus.PAUSED;
      case "stopped" -> RuntimeStatus.STOPPED;
      default -> throw new AgentException(Kind.INTERNAL, "runc reported an unknown container status '" + word + "'");
    };
  }

  private static RuncState toState(JsonNode node, String json) {
    String id = text(node, "id", json);
    Instant created;
    try {
      created = Instant.parse(text(node, "created", json));
    } catch (DateTimeParseException e) {
      throw malformed("runc printed an unreadable creation time for " + id, json, e);
    }
    Map<String, String> annotations = new LinkedHashMap<>();
    JsonNode ann = node.path("annotations");
    if (ann.isObject()) {
      ann.properties().forEach(e -> annotations.put(e.getKey(), e.getValue().asText()));
    }
    return new RuncState(
        id,
        status(text(node, "status", json)),
        node.path("pid").asInt(0),
        created,
        Path.of(node.path("bundle").asText("/")),
        annotations);
  }

  private static String text(JsonNode node, String field, String json) {
    JsonNode value = node.get(field);
    if (value == null || !value.isTextual()) {
      throw malformed("runc output lacks the field '" + field + "'", json, null);
    }
    return value.asText();
  }

  private static JsonNode read(String json) {
    try {
      return MAPPER.readTree(json.isBlank() ? "null" : json);
    } catch (JsonProcessingException e) {
      throw malformed("runc printed malformed JSON", json, e);
    }
  }

  private static AgentException malformed(String what, String json, Throwable cause) {
    String shown = json.length() > 500 ? json.substring(0, 500) + "..." : json;
    return new AgentException(Kind.INTERNAL, what + ": " + shown.strip(), cause);
  }
}
