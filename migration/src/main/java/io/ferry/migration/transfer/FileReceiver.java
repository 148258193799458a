package io.ferry.migration.transfer;

import com.google.protobuf.ByteString;
import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationException.Kind;
import io.ferry.proto.v1.FileChunk;
import io.ferry.proto.v1.ReceiveFilesResponse;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving end of one {@code ReceiveFiles} stream: checks the order (header, data, trailer),
 * counts the bytes against a limit, computes the checksum of what arrived (SHA-256, or CRC32C when
 * the header says so: {@link StreamChecksum}) and compares it with the sender's before the {@link
 * Sink} may keep anything; its answer says it checks CRC32C, so the sender may use it next time. The sink (where the bytes go) is opened from
 * the header, which is where the token is checked.
 *
 * <p>Threading: gRPC delivers one stream's messages serially. The sink may block (writing into
 * tar); gRPC then requests no more messages until it returns, which is the flow control towards
 * the sender.
 */
public final class FileReceiver implements StreamObserver<FileChunk> {

  private static final Logger log = LoggerFactory.getLogger(FileReceiver.class);

  /** Where one stream's bytes go. Any exception it throws fails the stream (and the sink is aborted). */
  public interface Sink {
    void write(ByteString data);

    /** Everything arrived and matched its checksum (hex, of the header's kind); make it permanent. */
    void finish(long bytes, String checksum);

    /** The stream failed: throw away what was written. Must not throw. */
    void abort(Throwable cause);

    /** After {@link #finish}: adds what the receiver wants the sender to know to the answer. */
    default void describe(ReceiveFilesResponse.Builder response) {}
  }

  /** Opens a sink for a stream from its header; throws to refuse the stream. */
  public interface Opener {
    Sink open(FileChunk.Header header);
  }

  private final StreamObserver<ReceiveFilesResponse> response;
  private final Opener opener;
  private final long maxBytes;
  private final Function<Throwable, StatusRuntimeException> toStatus;
  private StreamChecksum checksum;
  private FileChunk.Header header;
  private Sink sink;
  private long received;
  private FileChunk.Trailer trailer;
  private boolean done;

  /**
   * @param maxBytes the most one stream may carry; more fails it with RESOURCE_EXHAUSTED
   * @param toStatus how failures become gRPC statuses (the agent's API mapping)
   */
  public FileReceiver(
      StreamObserver<ReceiveFilesResponse> response, Opener opener, long maxBytes, Function<Throwable, StatusRuntimeException> toStatus) {
    this.response = response;
    this.opener = opener;
    this.maxBytes = maxBytes;
    this.toStatus = toStatus;
  }

  @Override
  public void onNext(FileChunk chunk) {
    if (done) {
      return;
    }
    try {
      switch (chunk.getPayloadCase()) {
        case HEADER -> {
          if (header != null) {
            throw invalid("a second header");
          }
          header = chunk.getHeader();
          checksum = StreamChecksum.of(header.getChecksum());
          if (header.getSize() > maxBytes) {
            throw new MigrationException(Kind.RESOURCE_EXHAUSTED,
                "stream of " + header.getSize() + " bytes exceeds this host's limit of " + maxBytes + " bytes");
          }
          sink = opener.open(header);
        }
        case DATA -> {
          if (sink == null) {
            throw invalid("data before the header");
          }
          if (trailer != null) {
            throw invalid("data after the trailer");
          }
          ByteString data = chunk.getData();
          if (received + data.size() > maxBytes) {
            throw new MigrationException(Kind.RESOURCE_EXHAUSTED,
                "stream exceeds this host's limit of " + maxBytes + " bytes (migration.max-incoming-bytes or free disk)");
          }
          checksum.update(data.asReadOnlyByteBuffer());
          received += data.size();
          sink.write(data);
        }
        case TRAILER -> {
          if (sink == null || trailer != null) {
            throw invalid("a trailer without a header, or a second one");
          }
          trailer = chunk.getTrailer();
        }
        default -> throw invalid("an empty message");
      }
    } catch (RuntimeException e) {
      fail(e);
    }
  }

  @Override
  public void onError(Throwable t) {
    if (done) {
      return;
    }
    done = true;
    log.info("migration={} stream broke after {} bytes: {}", header == null ? "?" : header.getMigrationId(), received, t.toString());
    if (sink != null) {
      sink.abort(t);
    }
  }

  @Override
  public void onCompleted() {
    if (done) {
      return;
    }
    try {
      if (sink == null) {
        throw invalid("no header");
      }
      long expectedSize = trailer != null ? trailer.getSize() : header.getSize();
      String expected = trailer != null ? checksum.valueIn(trailer)
          : checksum.kind() == FileChunk.Header.Checksum.CHECKSUM_SHA256 ? header.getSha256() : "";
      if (trailer == null && expected.isEmpty()) {
        throw invalid("neither a trailer nor a digest in the header");
      }
      if (expectedSize != received) {
        throw new MigrationException(Kind.DATA_LOSS, "the sender sent " + expectedSize + " bytes, " + received + " arrived");
      }
      String actual = checksum.hex();
      if (!actual.equalsIgnoreCase(expected)) {
        throw new MigrationException(Kind.DATA_LOSS, "received " + checksum.displayName() + " " + actual
            + " differs from the sender's " + expected);
      }
      sink.finish(received, actual);
      done = true;
      ReceiveFilesResponse.Builder answer =
          checksum.setIn(ReceiveFilesResponse.newBuilder().setBytes(received), actual).setAcceptsCrc32C(true);
      sink.describe(answer);
      response.onNext(answer.build());
      response.onCompleted();
    } catch (RuntimeException e) {
      fail(e);
    }
  }

  private void fail(RuntimeException e) {
    done = true;
    if (sink != null) {
      sink.abort(e);
    }
    response.onError(toStatus.apply(e));
  }

  private static MigrationException invalid(String what) {
    return new MigrationException(Kind.INVALID_ARGUMENT, "ReceiveFiles: " + what);
  }
}
