package io.ferry.coordinator.hosts;

import com.google.protobuf.ByteString;
import io.ferry.proto.v1.Image;
import io.ferry.proto.v1.ImportImageRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends an image archive the coordinator holds on disk to agents: to each host a header, then
 * 1 MiB chunks, written only while the agent's stream is ready (gRPC flow control), so memory
 * stays flat whatever the size. Hosts are served one after another; each host's answer (its image,
 * or its refusal) is reported separately, so one refusing host does not hide the others.
 */
public final class ImageDistribution {

  private static final int CHUNK_BYTES = 1 << 20;

  private final AgentClients agents;
  private final Duration perHostTimeout;

  /** What one host answered: the image it stored, or why not. */
  public record HostResult(Image image, StatusRuntimeException error) {
    public boolean ok() {
      return error == null;
    }
  }

  public ImageDistribution(AgentClients agents, Duration perHostTimeout) {
    this.agents = agents;
    this.perHostTimeout = perHostTimeout;
  }

  public Map<String, HostResult> send(Path archive, ImportImageRequest.Header header, List<String> hosts) {
    Map<String, HostResult> results = new LinkedHashMap<>();
    for (String host : hosts) {
      try {
        results.put(host, new HostResult(sendTo(host, archive, header), null));
      } catch (StatusRuntimeException e) {
        results.put(host, new HostResult(null, e));
      } catch (IOException | TimeoutException e) {
        results.put(host, new HostResult(null, Status.UNAVAILABLE.withDescription(host + ": " + e.getMessage()).asRuntimeException()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        results.put(host, new HostResult(null, Status.CANCELLED.withDescription("interrupted").asRuntimeException()));
        break;
      }
    }
    return results;
  }

  private Image sendTo(String host, Path archive, ImportImageRequest.Header header) throws IOException, TimeoutException, InterruptedException {
    CompletableFuture<Image> done = new CompletableFuture<>();
    try (InputStream in = Files.newInputStream(archive)) {
      agents
          .async(host)
          .withDeadlineAfter(perHostTimeout.toMillis(), TimeUnit.MILLISECONDS)
          .importImage(
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
                        requests.onNext(ImportImageRequest.newBuilder().setHeader(header).build());
                        continue;
                      }
                      byte[] chunk = in.readNBytes(CHUNK_BYTES);
                      if (chunk.length == 0) {
                        requests.onCompleted();
                        return;
                      }
                      requests.onNext(
                          ImportImageRequest.newBuilder()
                              .setChunk(ImportImageRequest.Chunk.newBuilder().setOffset(offset).setData(ByteString.copyFrom(chunk)))
                              .build());
                      offset += chunk.length;
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
      return done.get(perHostTimeout.toMillis() + 5000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException cause) {
        throw cause;
      }
      if (e.getCause() instanceof IOException cause) {
        throw cause;
      }
      throw new IllegalStateException(e.getCause());
    }
  }
}
