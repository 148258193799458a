package io.ferry.cli.client;

import com.google.protobuf.ByteString;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.Image;
import io.ferry.proto.v1.ImportImageRequest;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongConsumer;

/**
 * Streams a rootfs tarball to an agent's {@code ImportImage}: a header, then 1 MiB chunks, sent
 * only while the transport is ready (gRPC flow control), so memory stays flat whatever the size.
 * For any client: the CLI, benchmarks, tests.
 */
public final class ImageUpload {

  private static final int CHUNK_BYTES = 1 << 20;

  private ImageUpload() {}

  /**
   * @param progress told the bytes sent so far after each chunk (called on a gRPC thread)
   * @return the image the agent stored
   * @throws io.grpc.StatusRuntimeException the agent's refusal (bad archive, limits, ...)
   * @throws IOException when the file cannot be read
   * @throws TimeoutException when the agent has not answered within {@code timeout}
   */
  public static Image upload(
      AgentServiceGrpc.AgentServiceStub agent, Path file, List<String> aliases, Duration timeout, LongConsumer progress)
      throws IOException, TimeoutException, InterruptedException {
    try (InputStream in = Files.newInputStream(file)) {
      return upload(agent, in, file.getFileName().toString(), aliases, timeout, progress);
    }
  }

  /**
   * Uploads a root filesystem directory of this machine: GNU tar writes it (numeric owners, names
   * sorted, so the same tree gives the same digest) straight into the upload, nothing on disk.
   */
  public static Image uploadDirectory(
      AgentServiceGrpc.AgentServiceStub agent, Path dir, List<String> aliases, Duration timeout, LongConsumer progress)
      throws IOException, TimeoutException, InterruptedException {
    Process tar =
        new ProcessBuilder("tar", "-C", dir.toString(), "--numeric-owner", "--sort=name", "-cf", "-", ".")
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
    try (InputStream in = tar.getInputStream()) {
      Image image = upload(agent, in, dir.getFileName() + "/", aliases, timeout, progress);
      if (tar.waitFor() != 0) {
        throw new IOException("tar of " + dir + " exited " + tar.exitValue());
      }
      return image;
    } finally {
      tar.destroyForcibly();
    }
  }

  private static Image upload(
      AgentServiceGrpc.AgentServiceStub agent,
      InputStream in,
      String source,
      List<String> aliases,
      Duration timeout,
      LongConsumer progress)
      throws IOException, TimeoutException, InterruptedException {
    CompletableFuture<Image> done = new CompletableFuture<>();
    try {
      agent.importImage(
          new ClientResponseObserver<ImportImageRequest, Image>() {
            private long offset;
            private boolean headerSent;

            @Override
            public void beforeStart(ClientCallStreamObserver<ImportImageRequest> requests) {
              requests.setOnReadyHandler(() -> sendWhileReady(requests));
            }

            private void sendWhileReady(ClientCallStreamObserver<ImportImageRequest> requests) {
              try {
                while (requests.isReady() && !done.isDone()) {
                  if (!headerSent) {
                    headerSent = true;
                    requests.onNext(ImportImageRequest.newBuilder()
                        .setHeader(ImportImageRequest.Header.newBuilder().addAllAliases(aliases).setSource(source))
                        .build());
                    continue;
                  }
                  byte[] chunk = in.readNBytes(CHUNK_BYTES);
                  if (chunk.length == 0) {
                    requests.onCompleted();
                    return;
                  }
                  requests.onNext(ImportImageRequest.newBuilder()
                      .setChunk(ImportImageRequest.Chunk.newBuilder().setOffset(offset).setData(ByteString.copyFrom(chunk)))
                      .build());
                  offset += chunk.length;
                  progress.accept(offset);
                }
              } catch (IOException e) {
                requests.onError(e);
                done.completeExceptionally(e);
              }
            }

            @Override
            public void onNext(Image image) {
              done.complete(image);
            }

            @Override
            public void onError(Throwable t) {
              done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {}
          });
      return done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
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
