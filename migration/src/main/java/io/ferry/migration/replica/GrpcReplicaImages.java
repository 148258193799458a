package io.ferry.migration.replica;

import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationException.Kind;
import io.ferry.migration.transfer.ChunkInputStream;
import io.ferry.migration.transfer.GrpcFailures;
import io.ferry.proto.v1.FetchReplicaImageRequest;
import io.ferry.proto.v1.FileChunk;
import io.ferry.proto.v1.MigrationServiceGrpc;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import java.io.InputStream;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** {@link StandbyHost.ImageSource} over the primary agent's {@code FetchReplicaImage}. */
public final class GrpcReplicaImages implements StandbyHost.ImageSource {

  private final Function<String, ManagedChannel> channels;
  private final Duration timeout;

  /** @param channels opens a channel to an agent's address (closed with the stream) */
  public GrpcReplicaImages(Function<String, ManagedChannel> channels, Duration timeout) {
    this.channels = channels;
    this.timeout = timeout;
  }

  @Override
  public StandbyHost.ImageStream fetch(String address, String container, String token, String digest) {
    ManagedChannel channel = channels.apply(address);
    Context.CancellableContext context = Context.current().withCancellation();
    try {
      Iterator<FileChunk> chunks = context.call(() -> MigrationServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .fetchReplicaImage(FetchReplicaImageRequest.newBuilder().setContainer(container).setToken(token).setDigest(digest).build()));
      FileChunk first = chunks.next();
      if (!first.hasHeader()) {
        throw new MigrationException(Kind.INTERNAL, "the primary's image stream does not start with a header");
      }
      InputStream archive = new ChunkInputStream(chunks, "image " + digest);
      List<String> aliases = List.copyOf(first.getHeader().getAliasesList());
      return new StandbyHost.ImageStream() {
        @Override
        public InputStream archive() {
          return archive;
        }

        @Override
        public List<String> aliases() {
          return aliases;
        }

        @Override
        public void close() {
          context.cancel(null);
          channel.shutdownNow();
        }
      };
    } catch (Exception e) {
      context.cancel(null);
      channel.shutdownNow();
      throw GrpcFailures.from(e, "fetch image " + digest + " from the primary " + address);
    }
  }
}
