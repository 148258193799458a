package io.ferry.migration.source;

import io.ferry.migration.protocol.HostCapabilities;
import io.ferry.migration.protocol.Phase;
import io.ferry.proto.v1.FileChunk;
import io.ferry.proto.v1.RestoreIncomingRequest;
import java.io.InputStream;
import java.net.Socket;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongConsumer;

/**
 * The target agent as the source talks to it: one migration, its token included in every data
 * call. Every call has a deadline; failures are {@link
 * io.ferry.migration.protocol.MigrationException}s carrying the target's status and words
 * (UNAVAILABLE when it cannot be reached).
 */
public interface TargetPeer extends AutoCloseable {

  /** The target's CRIU facts (its {@code GetHostInfo}). */
  HostCapabilities capabilities();

  /** One stream of files into the incoming container; returns the bytes the target accepted. */
  long send(FileChunk.Header header, InputStream data, LongConsumer onBytes);

  /** Has the target restore (or start) the container; returns once it runs there. */
  void restore(RestoreIncomingRequest request);

  /** The migration's phase on the target; empty when it has neither journal nor outcome for it. */
  Optional<Phase> phase();

  /** Has the target discard everything it received (idempotent). */
  void abort();

  /**
   * Cuts the calls in flight (a stream, a tunnel) without closing the peer: {@link #abort} must
   * still reach the target afterwards. Calls made later fail at once.
   */
  void cancelInFlight();

  /**
   * Opens tunnel {@code tunnelId} to the target and pumps {@code local} through it both ways.
   *
   * @param sentBytes told about every byte sent from {@code local} to the target
   * @return completes when both directions ended, exceptionally when the tunnel broke
   */
  CompletableFuture<Void> tunnel(String tunnelId, Socket local, LongConsumer sentBytes);

  /**
   * As {@link #tunnel(String, Socket, LongConsumer)}, opened before the local connection exists:
   * the target gets ready at once, and the pump starts when {@code local} completes.
   */
  CompletableFuture<Void> tunnel(String tunnelId, CompletableFuture<Socket> local, LongConsumer sentBytes);

  /** Cancels calls in flight (a concurrent abort) and releases the channel. */
  @Override
  void close();
}
