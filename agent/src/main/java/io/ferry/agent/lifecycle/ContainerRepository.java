package io.ferry.agent.lifecycle;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.ferry.agent.AgentException;
import io.ferry.agent.storage.ContainerPaths;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Persists {@link ContainerRecord}s as {@code containers/NAME/container.json}, written atomically
 * (temporary file, fsync, rename), so a crash leaves either the old or the new record.
 *
 * <p>Thread-safety: safe for different containers concurrently; callers serialize writes to one
 * container (its lock).
 */
public final class ContainerRepository {

  private static final Logger log = LoggerFactory.getLogger(ContainerRepository.class);

  private final Path containersRoot;
  private final ObjectMapper json =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .registerModule(new Jdk8Module())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(SerializationFeature.INDENT_OUTPUT);

  public ContainerRepository(Path containersRoot) {
    this.containersRoot = containersRoot;
  }

  public void save(ContainerRecord record) {
    Path file = new ContainerPaths(containersRoot, record.name()).record();
    Path temp = file.resolveSibling(".container.json.tmp");
    try {
      Files.createDirectories(file.getParent());
      try (var out = Files.newOutputStream(temp)) {
        json.writeValue(out, record);
      }
      try (var channel = java.nio.channels.FileChannel.open(temp, java.nio.file.StandardOpenOption.WRITE)) {
        channel.force(true);
      }
      try {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw AgentException.internal("cannot save the record of container " + record.name() + ": " + e.getMessage(), e);
    }
  }

  public Optional<ContainerRecord> find(String name) {
    Path file = new ContainerPaths(containersRoot, name).record();
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(json.readValue(file.toFile(), ContainerRecord.class));
    } catch (IOException e) {
      throw AgentException.internal("cannot read the record of container " + name + ": " + e.getMessage(), e);
    }
  }

  /** Every container with a record; an unreadable record is logged and skipped. */
  public List<ContainerRecord> loadAll() {
    List<ContainerRecord> records = new ArrayList<>();
    if (!Files.isDirectory(containersRoot)) {
      return records;
    }
    try (Stream<Path> dirs = Files.list(containersRoot)) {
      for (Path dir : dirs.filter(d -> Files.exists(d.resolve("container.json"))).sorted().toList()) {
        try {
          records.add(json.readValue(dir.resolve("container.json").toFile(), ContainerRecord.class));
        } catch (IOException e) {
          log.error("container record {} is unreadable, skipped: {}", dir, e.getMessage());
        }
      }
    } catch (IOException e) {
      throw AgentException.internal("cannot list " + containersRoot + ": " + e.getMessage(), e);
    }
    return records;
  }

  /** Removes the record (the container's other files are the storage's to remove). */
  public void delete(String name) {
    try {
      Files.deleteIfExists(new ContainerPaths(containersRoot, name).record());
    } catch (IOException e) {
      throw AgentException.internal("cannot delete the record of container " + name + ": " + e.getMessage(), e);
    }
  }
}
