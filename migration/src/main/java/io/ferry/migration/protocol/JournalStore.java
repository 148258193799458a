package io.ferry.migration.protocol;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journals of this agent's unfinished migrations, one JSON file each ({@code <dir>/<id>.json},
 * mode 0600: it holds the token), and the outcomes of the last {@link #MAX_OUTCOMES} finished ones
 * ({@code <dir>/outcomes.json}).
 *
 * <p>Every write goes to a temporary file that is synced and renamed into place, so a crash leaves
 * either the old or the new journal, never half of one. Finishing a migration records its outcome
 * first, then deletes the journal: a crash in between leaves both, and {@link #loadAll} drops a
 * journal whose outcome is recorded.
 *
 * <p>Thread-safe (one monitor): journals are written a handful of times per migration.
 */
public final class JournalStore {

  private static final Logger log = LoggerFactory.getLogger(JournalStore.class);

  public static final int MAX_OUTCOMES = 256;
  private static final String OUTCOMES = "outcomes.json";
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private final Path dir;
  private final ObjectMapper json =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private final LinkedHashMap<String, Outcome> outcomes = new LinkedHashMap<>();

  public JournalStore(Path dir) {
    this.dir = dir;
    try {
      Files.createDirectories(dir);
      Path file = dir.resolve(OUTCOMES);
      if (Files.exists(file)) {
        for (Outcome o : json.readValue(file.toFile(), new TypeReference<List<Outcome>>() {})) {
          outcomes.put(key(o.id(), o.role()), o);
        }
      }
    } catch (IOException e) {
      throw MigrationException.internal("cannot open the migration journals in " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Refuses ids that could not name a file safely.
   *
   * @throws MigrationException INVALID_ARGUMENT
   */
  public static String requireValidId(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new MigrationException(
          MigrationException.Kind.INVALID_ARGUMENT,
          "migration id '" + id + "' must be 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    return id;
  }

  public Path dir() {
    return dir;
  }

  /** Where a migration's working files live (received images, dumps). */
  public Path workDir(String id, Role role) {
    return dir.resolve("work").resolve(role.name().toLowerCase() + "-" + requireValidId(id));
  }

  public synchronized Journal save(Journal journal) {
    Path file = file(journal.id(), journal.role());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      byte[] bytes = json.writeValueAsBytes(journal);
      Files.deleteIfExists(tmp);
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.write(java.nio.ByteBuffer.wrap(bytes));
        ch.force(true);
      }
      move(tmp, file);
      return journal;
    } catch (IOException e) {
      throw MigrationException.internal("cannot write the journal of migration " + journal.id() + ": " + e.getMessage(), e);
    }
  }

  public synchronized Optional<Journal> find(String id, Role role) {
    Path file = file(id, role);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(json.readValue(file.toFile(), Journal.class));
    } catch (IOException e) {
      throw MigrationException.internal("cannot read the journal of migration " + id + ": " + e.getMessage(), e);
    }
  }

  /** Every unfinished journal. An unreadable one is logged and skipped (left on disk for people). */
  public synchronized List<Journal> loadAll() {
    List<Journal> all = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".journal.json")).sorted().toList()) {
        try {
          Journal j = json.readValue(f.toFile(), Journal.class);
          if (outcomes.containsKey(key(j.id(), j.role()))) {
            Files.deleteIfExists(f);
            continue;
          }
          all.add(j);
        } catch (IOException e) {
          log.error("migration journal {} unreadable, left in place: {}", f, e.getMessage());
        }
      }
    } catch (IOException e) {
      throw MigrationException.internal("cannot list the migration journals in " + dir + ": " + e.getMessage(), e);
    }
    return all;
  }

  /**
   * Ends a migration: remembers its outcome, then deletes its journal and working files.
   *
   * @throws IllegalArgumentException when the journal is not in a terminal phase
   */
  public synchronized Outcome finish(Journal journal) {
    if (!journal.phase().terminal()) {
      throw new IllegalArgumentException("migration " + journal.id() + " is " + journal.phase() + ", not finished");
    }
    Outcome outcome = journal.outcome();
    outcomes.remove(key(journal.id(), journal.role()));
    outcomes.put(key(journal.id(), journal.role()), outcome);
    while (outcomes.size() > MAX_OUTCOMES) {
      outcomes.remove(outcomes.keySet().iterator().next());
    }
    Path file = dir.resolve(OUTCOMES);
    Path tmp = dir.resolve(OUTCOMES + ".tmp");
    try {
      json.writeValue(tmp.toFile(), new ArrayList<>(outcomes.values()));
      move(tmp, file);
      Files.deleteIfExists(file(journal.id(), journal.role()));
    } catch (IOException e) {
      throw MigrationException.internal("cannot record the outcome of migration " + journal.id() + ": " + e.getMessage(), e);
    }
    return outcome;
  }

  public synchronized Optional<Outcome> outcome(String id, Role role) {
    return Optional.ofNullable(outcomes.get(key(id, role)));
  }

  /** The journal file of a migration on this side (for tests and people). */
  public Path file(String id, Role role) {
    return dir.resolve(role.name().toLowerCase() + "-" + requireValidId(id) + ".journal.json");
  }

  private static String key(String id, Role role) {
    return role + "/" + id;
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  Map<String, Outcome> outcomesForTest() {
    return Map.copyOf(outcomes);
  }
}
