package io.ferry.cli.client;

import com.google.protobuf.ByteString;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.ClusterImage;
import io.ferry.proto.v1.ClusterImportImageRequest;
import io.ferry.proto.v1.Image;
import io.ferry.proto.v1.ImageServiceGrpc;
import io.ferry.proto.v1.ImportImageRequest;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;

/**
 * Streams an image to an {@code ImportImage} call, the agent's or the coordinator's: a header,
 * then 1 MiB chunks with their offsets, sent only while the transport is ready (gRPC flow
 * control), so memory stays flat whatever the size. For any client: the CLI, benchmarks, tests.
 */
public final class ImageUpload {

  static final int CHUNK_BYTES = 1 << 20;

  private ImageUpload() {}

  /**
   * One service's import call: how to start the stream and how its request messages wrap the
   * header and the chunks. {@code Q} is the request message, {@code R} the reply.
   */
  public interface Endpoint<Q, R> {
    void start(ClientResponseObserver<Q, R> responses);

    /** The first message; {@code source} is what the image records as where it came from. */
    Q header(String source);

    Q chunk(ImportImageRequest.Chunk chunk);
  }

  /** An agent's {@code AgentService.ImportImage}. */
  public static Endpoint<ImportImageRequest, Image> toAgent(AgentServiceGrpc.AgentServiceStub agent, List<String> aliases) {
    return new Endpoint<>() {
      @Override
      public void start(ClientResponseObserver<ImportImageRequest, Image> responses) {
        agent.importImage(responses);
      }

      @Override
      public ImportImageRequest header(String source) {
        return ImportImageRequest.newBuilder()
            .setHeader(ImportImageRequest.Header.newBuilder().addAllAliases(aliases).setSource(source))
            .build();
      }

      @Override
      public ImportImageRequest chunk(ImportImageRequest.Chunk chunk) {
        return ImportImageRequest.newBuilder().setChunk(chunk).build();
      }
    };
  }

  /**
   * The cluster's {@code ImageService.ImportImage}; {@code header} holds the aliases, hosts and
   * expected digest, its source is filled in from the image source's name when empty.
   */
  public static Endpoint<ClusterImportImageRequest, ClusterImage> toCluster(
      ImageServiceGrpc.ImageServiceStub images, ClusterImportImageRequest.Header header) {
    return new Endpoint<>() {
      @Override
      public void start(ClientResponseObserver<ClusterImportImageRequest, ClusterImage> responses) {
        images.importImage(responses);
      }

      @Override
      public ClusterImportImageRequest header(String source) {
        ClusterImportImageRequest.Header.Builder h = header.toBuilder();
        if (h.getSource().isEmpty()) {
          h.setSource(source);
        }
        return ClusterImportImageRequest.newBuilder().setHeader(h).build();
      }

      @Override
      public ClusterImportImageRequest chunk(ImportImageRequest.Chunk chunk) {
        return ClusterImportImageRequest.newBuilder().setChunk(chunk).build();
      }
    };
  }

  /** Uploads a tarball (plain, gzip or zstd) to an agent. */
  public static Image upload(
      AgentServiceGrpc.AgentServiceStub agent, Path file, List<String> aliases, Duration timeout, LongConsumer progress)
      throws IOException, TimeoutException, InterruptedException {
    return upload(toAgent(agent, aliases), new ImageSource.ArchiveFile(file), timeout, progress);
  }

  /** Uploads a root filesystem directory of this machine to an agent, as a tar stream. */
  public static Image uploadDirectory(
      AgentServiceGrpc.AgentServiceStub agent, Path dir, List<String> aliases, Duration timeout, LongConsumer progress)
      throws IOException, TimeoutException, InterruptedException {
    return upload(toAgent(agent, aliases), new ImageSource.Directory(dir), timeout, progress);
  }

  /**
   * Sends {@code source} through {@code endpoint}.
   *
   * @param progress told the bytes sent so far after each chunk (called on a gRPC thread)
   * @return the server's reply
   * @throws io.grpc.StatusRuntimeException the server's refusal (bad archive, limits, ...)
   * @throws IOException when the source cannot be read, or tar failed
   * @throws TimeoutException when the server has not answered within {@code timeout}
   */
  public static <Q, R> R upload(Endpoint<Q, R> endpoint, ImageSource source, Duration timeout, LongConsumer progress)
      throws IOException, TimeoutException, InterruptedException {
    try (ImageSource.Reader reader = source.open()) {
      R reply = send(endpoint, reader.in(), source.name(), timeout, progress);
      reader.verify();
      return reply;
    }
  }

  private static <Q, R> R send(Endpoint<Q, R> endpoint, InputStream in, String source, Duration timeout, LongConsumer progress)
      throws IOException, TimeoutException, InterruptedException {
    CompletableFuture<R> done = new CompletableFuture<>();
    AtomicReference<ClientCallStreamObserver<Q>> call = new AtomicReference<>();
    endpoint.start(new ClientResponseObserver<Q, R>() {
      private long offset;
      private boolean headerSent;
      private boolean finished;

      @Override
      public void beforeStart(ClientCallStreamObserver<Q> requests) {
        call.set(requests);
        requests.setOnReadyHandler(() -> sendWhileReady(requests));
      }

      private void sendWhileReady(ClientCallStreamObserver<Q> requests) {
        try {
          while (requests.isReady() && !finished && !done.isDone()) {
            if (!headerSent) {
              headerSent = true;
              requests.onNext(endpoint.header(source));
              continue;
            }
            byte[] chunk = in.readNBytes(CHUNK_BYTES);
            if (chunk.length == 0) {
              finished = true;
              requests.onCompleted();
              return;
            }
            requests.onNext(endpoint.chunk(
                ImportImageRequest.Chunk.newBuilder().setOffset(offset).setData(ByteString.copyFrom(chunk)).build()));
            offset += chunk.length;
            progress.accept(offset);
          }
        } catch (IOException e) {
          finished = true;
          requests.onError(e);
          done.completeExceptionally(e);
        }
      }

      @Override
      public void onNext(R reply) {
        done.complete(reply);
      }

      @Override
      public void onError(Throwable t) {
        done.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    });
    try {
      return done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      call.get().cancel("no answer in time", null);
      throw new TimeoutException("the image import got no answer within " + timeout.toSeconds() + " s");
    } catch (InterruptedException e) {
      call.get().cancel("interrupted", null);
      throw e;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      if (e.getCause() instanceof IOException cause) {
        throw cause;
      }
      throw new IllegalStateException(e.getCause());
    }
  }
}
