package io.ferry.migration.target;

import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationException.Kind;
import io.ferry.migration.transfer.ChunkInputStream;
import io.ferry.migration.transfer.GrpcFailures;
import io.ferry.proto.v1.FetchImageRequest;
import io.ferry.proto.v1.FileChunk;
import io.ferry.proto.v1.MigrationServiceGrpc;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import java.io.InputStream;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link SourcePeer} over the source agent's {@code FetchImage}. The blocking stream requests one
 * message at a time as it is read, so the image store's import paces the transfer.
 */
public final class GrpcSourcePeer implements SourcePeer {

  private final ManagedChannel channel;
  private final String migrationId;
  private final String token;
  private final Duration timeout;
  private final Context.CancellableContext context = Context.current().withCancellation();
  private volatile List<String> aliases = List.of();

  public GrpcSourcePeer(ManagedChannel channel, String migrationId, String token, Duration timeout) {
    this.channel = channel;
    this.migrationId = migrationId;
    this.token = token;
    this.timeout = timeout;
  }

  @Override
  public List<String> aliases() {
    return aliases;
  }

  @Override
  public InputStream fetchImage(String digest) {
    Iterator<FileChunk> chunks;
    FileChunk first;
    try {
      chunks = context.call(() -> MigrationServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .fetchImage(FetchImageRequest.newBuilder().setMigrationId(migrationId).setToken(token).setDigest(digest).build()));
      first = chunks.next();
    } catch (Exception e) {
      throw GrpcFailures.from(e, "fetch image " + digest + " from the source");
    }
    if (!first.hasHeader()) {
      throw new MigrationException(Kind.INTERNAL, "the source's image stream does not start with a header");
    }
    aliases = List.copyOf(first.getHeader().getAliasesList());
    return new ChunkInputStream(chunks, "image " + digest);
  }

  @Override
  public void close() {
    context.cancel(null);
    channel.shutdownNow();
  }
}
