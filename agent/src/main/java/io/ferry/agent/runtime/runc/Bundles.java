package io.ferry.agent.runtime.runc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import io.ferry.agent.runtime.RuntimeSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Writes and removes the per-container files under the state root: the OCI bundle and the CRIU
 * configuration runc hands to CRIU for that container (the host's {@code /etc/criu/runc.conf}
 * followed by the container's own lines, since runc reads only one file). Thread-safe as long as
 * callers do not work on the same container concurrently.
 */
final class Bundles {

  private static final ObjectMapper CONFIG_READER = new ObjectMapper();

  private final StateLayout layout;
  private final OciSpecWriter writer;
  private final Path hostCriuConfig;

  Bundles(StateLayout layout, OciSpecWriter writer, Path hostCriuConfig) {
    this.layout = layout;
    this.writer = writer;
    this.hostCriuConfig = hostCriuConfig;
  }

  /**
   * Checks what the spec names on the host and makes the console log's directory.
   *
   * @throws AgentException INVALID_ARGUMENT for a missing root filesystem or network namespace
   */
  void checkHostPaths(RuntimeSpec spec) {
    if (!Files.isDirectory(spec.rootfs())) {
      throw AgentException.invalid("container " + spec.id() + ": root filesystem " + spec.rootfs() + " is not a directory");
    }
    spec.networkNamespace()
        .filter(ns -> !Files.exists(ns))
        .ifPresent(ns -> {
          throw AgentException.invalid("container " + spec.id() + ": network namespace " + ns + " does not exist");
        });
    try {
      Files.createDirectories(spec.consoleLog().getParent());
    } catch (IOException e) {
      throw AgentException.invalid("container " + spec.id() + ": cannot create the directory of " + spec.consoleLog()
          + ": " + e.getMessage());
    }
  }

  /** Writes a fresh bundle for {@code spec} (replacing leftovers of an earlier container). */
  Path prepare(RuntimeSpec spec, OciSpecWriter.Purpose purpose) {
    Path bundle = layout.bundle(spec.id());
    try {
      StateLayout.deleteTree(bundle);
      writer.write(spec, bundle, layout.criuConfig(spec.id()), purpose);
      writeCriuConfig(spec.id(), List.of());
      return bundle;
    } catch (IOException e) {
      throw new AgentException(Kind.INTERNAL, "cannot write the bundle of container " + spec.id() + " in " + bundle
          + ": " + e.getMessage(), e);
    }
  }

  /** Rewrites the container's CRIU configuration: the host's lines, then {@code lines}. */
  void writeCriuConfig(String id, List<String> lines) throws IOException {
    List<String> all = new ArrayList<>();
    all.add("# Written by Ferry for container " + id + ": " + hostCriuConfig + " and the container's own lines.");
    if (Files.isReadable(hostCriuConfig)) {
      all.addAll(Files.readAllLines(hostCriuConfig));
    }
    all.addAll(lines);
    Path file = layout.criuConfig(id);
    Files.createDirectories(file.getParent());
    Files.write(file, all);
  }

  /**
   * The console log the container's bundle names (its {@link OciSpecWriter#CONSOLE_ANNOTATION}),
   * read from the config.json Ferry wrote; empty when it names none.
   *
   * @throws IOException when the bundle's config.json cannot be read
   */
  Optional<String> consoleLog(String id) throws IOException {
    JsonNode console = CONFIG_READER.readTree(layout.bundle(id).resolve("config.json").toFile())
        .path("annotations").path(OciSpecWriter.CONSOLE_ANNOTATION);
    return console.isTextual() ? Optional.of(console.asText()) : Optional.empty();
  }

  /** A fresh, empty CRIU work directory for the container. */
  Path freshCriuWork(String id) throws IOException {
    Path work = layout.criuWork(id);
    StateLayout.deleteTree(work);
    Files.createDirectories(work);
    return work;
  }

  /** Removes the container's files; absent is fine. */
  void remove(String id) {
    try {
      StateLayout.deleteTree(layout.bundle(id));
    } catch (IOException e) {
      throw new AgentException(Kind.INTERNAL, "cannot remove the bundle of container " + id + ": " + e.getMessage(), e);
    }
  }
}
