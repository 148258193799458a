package io.ferry.migration.target;

import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationException.Kind;
import io.ferry.migration.transfer.GrpcFailures;
import io.ferry.proto.v1.FetchImageRequest;
import io.ferry.proto.v1.FileChunk;
import io.ferry.proto.v1.MigrationServiceGrpc;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
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
    return new ChunkInputStream(chunks, digest);
  }

  @Override
  public void close() {
    context.cancel(null);
    channel.shutdownNow();
  }

  /** The data of the chunks; checks the trailer at the end. */
  private static final class ChunkInputStream extends InputStream {
    private final Iterator<FileChunk> chunks;
    private final String what;
    private final MessageDigest sha;
    private byte[] current = new byte[0];
    private int pos;
    private long total;
    private boolean ended;

    ChunkInputStream(Iterator<FileChunk> chunks, String digest) {
      this.chunks = chunks;
      this.what = "image " + digest;
      try {
        this.sha = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      while (pos == current.length) {
        if (ended || !advance()) {
          return -1;
        }
      }
      int n = Math.min(len, current.length - pos);
      System.arraycopy(current, pos, b, off, n);
      pos += n;
      return n;
    }

    private boolean advance() throws IOException {
      try {
        if (!chunks.hasNext()) {
          throw new IOException("the source's stream of " + what + " ended without a trailer");
        }
        FileChunk chunk = chunks.next();
        if (chunk.hasTrailer()) {
          String actual = HexFormat.of().formatHex(sha.digest());
          if (chunk.getTrailer().getSize() != total || !actual.equalsIgnoreCase(chunk.getTrailer().getSha256())) {
            throw new IOException("the stream of " + what + " arrived damaged: " + total + " bytes with SHA-256 " + actual
                + ", the source sent " + chunk.getTrailer().getSize() + " with " + chunk.getTrailer().getSha256());
          }
          ended = true;
          return false;
        }
        current = chunk.getData().toByteArray();
        pos = 0;
        sha.update(current);
        total += current.length;
        return true;
      } catch (RuntimeException e) {
        throw new IOException(GrpcFailures.from(e, "fetch " + what).getMessage(), e);
      }
    }
  }
}
