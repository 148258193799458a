package io.ferry.agent.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ferry.agent.AgentException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Aliases (human names such as {@code busybox} or {@code debian/12}) and the digest each points
 * at, persisted in {@code aliases.json} as {@code {"version":1,"aliases":{"busybox":"<digest>"}}}.
 *
 * <p>An alias is one or more {@code /}-separated segments, each 1 to 63 characters of {@code
 * [a-z0-9._-]} starting with a letter or digit, 128 characters at most in all, and not 12 or more
 * hex digits alone (that would read as a digest prefix).
 *
 * <p>Every change is computed on a copy, written to a temporary file, flushed and renamed over
 * {@code aliases.json}; only then does this object change. A failed write leaves the file and the
 * table as they were. Not thread-safe: {@link ImageStore} serializes all use.
 */
final class AliasTable {

  static final int MAX_LENGTH = 128;

  private static final Pattern SEGMENT = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
  private static final Pattern DIGEST_LIKE = Pattern.compile("[0-9a-f]{12,}");
  private static final int VERSION = 1;

  private final Path file;
  private final StoreLayout layout;
  private final ObjectMapper json;
  private SortedMap<String, String> aliases;

  private AliasTable(StoreLayout layout, ObjectMapper json, SortedMap<String, String> aliases) {
    this.file = layout.aliasesFile();
    this.layout = layout;
    this.json = json;
    this.aliases = aliases;
  }

  /**
   * Reads {@code aliases.json} (absent: no aliases).
   *
   * @throws AgentException INTERNAL when the file exists but cannot be read or parsed: the agent
   *     must not start and quietly forget every alias
   */
  static AliasTable load(StoreLayout layout, ObjectMapper json) {
    Path file = layout.aliasesFile();
    SortedMap<String, String> aliases = new TreeMap<>();
    if (Files.exists(file)) {
      try {
        JsonNode root = json.readTree(file.toFile());
        JsonNode entries = root == null ? null : root.get("aliases");
        if (entries == null || !entries.isObject()) {
          throw AgentException.internal("alias table " + file + " has no \"aliases\" object", null);
        }
        for (Map.Entry<String, JsonNode> entry : entries.properties()) {
          aliases.put(entry.getKey(), entry.getValue().asText());
        }
      } catch (IOException e) {
        throw AgentException.internal("cannot read the alias table " + file + ": " + e.getMessage(), e);
      }
    }
    return new AliasTable(layout, json, aliases);
  }

  /** Returns null when {@code alias} is valid, else why it is not. */
  static String problem(String alias) {
    if (alias == null || alias.isEmpty()) {
      return "an image alias cannot be empty";
    }
    if (alias.length() > MAX_LENGTH) {
      return "image alias " + EntryPaths.quote(alias) + " is longer than " + MAX_LENGTH + " characters";
    }
    for (String segment : alias.split("/", -1)) {
      if (!SEGMENT.matcher(segment).matches()) {
        return "image alias " + EntryPaths.quote(alias)
            + " is invalid: use '/'-separated segments of 1 to 63 characters from a-z, 0-9, '.', '_', '-',"
            + " each starting with a letter or digit (e.g. debian/12)";
      }
    }
    if (DIGEST_LIKE.matcher(alias).matches()) {
      return "image alias " + EntryPaths.quote(alias) + " is invalid: it would read as a digest";
    }
    return null;
  }

  /** @throws AgentException INVALID_ARGUMENT with the reason when {@code alias} is invalid */
  static String requireValid(String alias) {
    String problem = problem(alias);
    if (problem != null) {
      throw AgentException.invalid(problem);
    }
    return alias;
  }

  Optional<String> digestOf(String alias) {
    return Optional.ofNullable(aliases.get(alias));
  }

  /** The aliases pointing at {@code digest}, sorted. */
  List<String> aliasesOf(String digest) {
    List<String> names = new ArrayList<>();
    aliases.forEach((alias, target) -> {
      if (target.equals(digest)) {
        names.add(alias);
      }
    });
    return names;
  }

  /** A sorted copy of the whole table. */
  SortedMap<String, String> all() {
    return new TreeMap<>(aliases);
  }

  /** Points each of {@code names} at {@code digest}, moving any that pointed elsewhere. */
  void point(List<String> names, String digest) {
    SortedMap<String, String> next = all();
    boolean changed = false;
    for (String name : names) {
      changed |= !digest.equals(next.put(name, digest));
    }
    if (changed) {
      replace(next);
    }
  }

  /** Removes one alias; false when it was not there. */
  boolean remove(String alias) {
    if (!aliases.containsKey(alias)) {
      return false;
    }
    SortedMap<String, String> next = all();
    next.remove(alias);
    replace(next);
    return true;
  }

  /** Removes every alias pointing at {@code digest}. */
  void removeAllOf(String digest) {
    SortedMap<String, String> next = all();
    if (next.values().removeIf(digest::equals)) {
      replace(next);
    }
  }

  /**
   * Makes {@code next} the table, on disk first.
   *
   * @throws AgentException INTERNAL (or RESOURCE_EXHAUSTED on a full disk) when it cannot be written
   */
  void replace(SortedMap<String, String> next) {
    ObjectNode root = json.createObjectNode();
    root.put("version", VERSION);
    ObjectNode entries = root.putObject("aliases");
    next.forEach(entries::put);
    try {
      byte[] bytes = json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
      layout.writeAtomically(file, bytes);
    } catch (IOException e) {
      throw StoreLayout.writeFailure(file, e);
    }
    aliases = new TreeMap<>(next);
  }
}
