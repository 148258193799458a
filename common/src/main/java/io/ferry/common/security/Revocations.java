package io.ferry.common.security;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The current {@link RevocationList}, shared by every {@link ClusterTrustManager} and
 * {@link AccessInterceptor} of a process, and changeable at run time: what is revoked here is
 * refused by the next handshake and the next call, with no restart.
 *
 * <p>With a file ({@link #persistent}), every change is written atomically (temporary file and
 * rename) before it takes effect, so a revocation that was answered survives a crash; a failed
 * write leaves both the file and the list as they were. {@link #reload} picks up a file another
 * process (or a ZooKeeper watcher writing it) replaced. Without a file ({@link #inMemory}) the
 * list lives and dies with the process.
 *
 * <p>Thread-safe: readers never block; changes are serialized.
 */
public final class Revocations implements Supplier<RevocationList> {

  private final AtomicReference<RevocationList> current;
  private final Optional<Path> file;
  private final Clock clock;

  private Revocations(RevocationList initial, Optional<Path> file, Clock clock) {
    this.current = new AtomicReference<>(initial);
    this.file = file;
    this.clock = clock;
  }

  /** A list kept in memory only, starting from {@code initial}. */
  public static Revocations inMemory(RevocationList initial, Clock clock) {
    return new Revocations(initial, Optional.empty(), clock);
  }

  /**
   * A list persisted in {@code file}: read when it exists, else empty (the file is created on
   * the first revocation).
   *
   * @throws IOException when the file exists but cannot be read
   * @throws CredentialsException when the file is malformed
   */
  public static Revocations persistent(Path file, Clock clock) throws IOException {
    return new Revocations(read(file), Optional.of(file), clock);
  }

  /** The list in force now. */
  @Override
  public RevocationList get() {
    return current.get();
  }

  /**
   * Revokes {@code serial} now, persisting first when there is a file. Revoking a revoked serial
   * changes nothing and keeps the first reason and time.
   *
   * @return the revocation in force for {@code serial}
   * @throws IOException when the file cannot be written; nothing changed
   */
  public synchronized Revocation revoke(BigInteger serial, RevocationReason reason) throws IOException {
    RevocationList before = current.get();
    Optional<Revocation> existing = before.find(serial);
    if (existing.isPresent()) {
      return existing.get();
    }
    Revocation revocation = new Revocation(serial, reason, clock.instant());
    RevocationList after = before.with(revocation);
    if (file.isPresent()) {
      SecureFiles.replacePrivate(file.get(), after.toText());
    }
    current.set(after);
    return revocation;
  }

  /**
   * Re-reads the file, replacing the list in force. Does nothing for an in-memory list.
   *
   * @throws IOException when the file cannot be read; the list in force stays
   * @throws CredentialsException when the file is malformed; the list in force stays
   */
  public synchronized void reload() throws IOException {
    if (file.isPresent()) {
      current.set(read(file.get()));
    }
  }

  private static RevocationList read(Path file) throws IOException {
    if (!Files.exists(file)) {
      return RevocationList.empty();
    }
    return RevocationList.parse(Files.readString(file, StandardCharsets.UTF_8));
  }
}
