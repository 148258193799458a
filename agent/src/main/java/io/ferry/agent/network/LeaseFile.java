package io.ferry.agent.network;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.ferry.agent.AgentException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leases of one agent on disk, as JSON:
 *
 * <pre>{@code
 * {"version":1,"subnet":"10.100.0.0/24",
 *  "leases":[{"container":"web1","address":"10.100.0.2","mac":"02:1f:...","leasedAt":"..."}]}
 * }</pre>
 *
 * <p>Writes are atomic: the new content goes to a temporary file in the same directory, is
 * flushed to disk, then renamed over the old file (and the directory is flushed), so a crash
 * leaves either the old or the new file, never a torn one. Not thread-safe: {@link
 * AddressAllocator} serialises access.
 */
final class LeaseFile {

  private static final Logger log = LoggerFactory.getLogger(LeaseFile.class);

  static final int VERSION = 1;

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** What the file holds: the subnet the leases were made in, and the leases. */
  record Content(Ipv4Subnet subnet, List<Lease> leases) {
    Content {
      leases = List.copyOf(leases);
    }
  }

  private record StoredLease(String container, String address, String mac, String leasedAt) {}

  private record Stored(int version, String subnet, List<StoredLease> leases) {}

  private final Path file;

  LeaseFile(Path file) {
    this.file = file;
  }

  Path path() {
    return file;
  }

  /**
   * Reads the file; empty when it does not exist yet.
   *
   * @throws AgentException INTERNAL naming the file when it cannot be read or parsed
   */
  Optional<Content> read() {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw AgentException.internal("cannot read the network leases " + file + ": " + e.getMessage(), e);
    }
    try {
      Stored stored = JSON.readValue(bytes, Stored.class);
      if (stored.version() != VERSION) {
        throw new IllegalArgumentException("unknown version " + stored.version() + " (this agent writes " + VERSION + ")");
      }
      List<Lease> leases = new ArrayList<>();
      for (StoredLease l : stored.leases() == null ? List.<StoredLease>of() : stored.leases()) {
        leases.add(
            new Lease(
                l.container(),
                Ipv4Address.parse(l.address()),
                MacAddress.parse(l.mac()),
                Instant.parse(l.leasedAt())));
      }
      return Optional.of(new Content(Ipv4Subnet.parse(stored.subnet()), leases));
    } catch (IOException | RuntimeException e) {
      throw AgentException.internal("the network leases " + file + " are damaged: " + e.getMessage(), e);
    }
  }

  /**
   * Replaces the file's content atomically, creating its directory if needed.
   *
   * @throws AgentException INTERNAL naming the file when it cannot be written; the old content
   *     then stays in place
   */
  void write(Content content) {
    List<StoredLease> leases = new ArrayList<>();
    for (Lease l : content.leases()) {
      leases.add(new StoredLease(l.container(), l.address().toString(), l.mac().toString(), l.leasedAt().toString()));
    }
    Path dir = file.toAbsolutePath().getParent();
    Path temp = null;
    try {
      byte[] bytes = JSON.writeValueAsBytes(new Stored(VERSION, content.subnet().toString(), leases));
      Files.createDirectories(dir);
      temp = Files.createTempFile(dir, file.getFileName() + ".", ".tmp");
      try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
        out.force(true);
      }
      try {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("the file system of " + dir + " cannot rename atomically", e);
      }
      temp = null;
      try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
        directory.force(true);
      }
    } catch (IOException e) {
      throw AgentException.internal("cannot write the network leases " + file + ": " + e.getMessage(), e);
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException e) {
          log.warn("cannot delete the temporary lease file {}: {}", temp, e.getMessage());
        }
      }
    }
  }
}
