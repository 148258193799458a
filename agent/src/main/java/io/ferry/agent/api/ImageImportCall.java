package io.ferry.agent.api;

import io.ferry.agent.AgentException;
import io.ferry.agent.images.ImageStore;
import io.ferry.agent.images.ImportOptions;
import io.ferry.proto.v1.Image;
import io.ferry.proto.v1.ImportImageRequest;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One streamed image import: a header, then chunks at increasing offsets. The archive is read by
 * the image store on a worker thread while chunks arrive; at most {@link #IN_FLIGHT} chunks are
 * requested ahead (gRPC manual flow control). A broken or cancelled upload aborts the import,
 * which leaves nothing behind.
 */
final class ImageImportCall implements StreamObserver<ImportImageRequest> {

  static final int IN_FLIGHT = 4;

  private final ImageStore store;
  private final ServerCallStreamObserver<Image> response;
  private final Executor workers;
  private final ChunkQueueInputStream upload;
  private long expectedOffset;
  private boolean started;
  /** Set once the call has been answered; the answer goes out exactly once. */
  private final AtomicBoolean finished = new AtomicBoolean();

  ImageImportCall(ImageStore store, ServerCallStreamObserver<Image> response, Executor workers) {
    this.store = store;
    this.response = response;
    this.workers = workers;
    this.upload = new ChunkQueueInputStream(() -> response.request(1));
    response.disableAutoRequest();
    response.request(1);
  }

  @Override
  public void onNext(ImportImageRequest request) {
    if (finished.get()) {
      return;
    }
    if (!started) {
      if (!request.hasHeader()) {
        refuse("an image import must start with a header");
        return;
      }
      started = true;
      ImportImageRequest.Header header = request.getHeader();
      ImportOptions options;
      try {
        options =
            new ImportOptions(
                header.getAliasesList(),
                header.getExpectedSha256().isEmpty() ? Optional.empty() : Optional.of(header.getExpectedSha256()),
                header.getSource().isEmpty() ? "upload" : header.getSource());
      } catch (RuntimeException e) {
        if (finished.compareAndSet(false, true)) {
          response.onError(GrpcErrors.toStatus(e));
        }
        return;
      }
      workers.execute(() -> runImport(options));
      response.request(IN_FLIGHT);
      return;
    }
    if (!request.hasChunk()) {
      refuse("only chunks may follow the header");
      return;
    }
    ImportImageRequest.Chunk chunk = request.getChunk();
    if (chunk.getOffset() != expectedOffset) {
      refuse("chunk at offset " + chunk.getOffset() + ", expected " + expectedOffset);
      return;
    }
    expectedOffset += chunk.getData().size();
    upload.offer(chunk.getData().toByteArray());
  }

  @Override
  public void onError(Throwable t) {
    upload.fail(new IOException("the upload was abandoned: " + Status.fromThrowable(t)));
  }

  @Override
  public void onCompleted() {
    if (!started && !finished.get()) {
      refuse("an image import needs a header and the archive");
      return;
    }
    upload.finish();
  }

  private void runImport(ImportOptions options) {
    try {
      Image image = ProtoMapper.image(store.importArchive(upload, options));
      if (finished.compareAndSet(false, true)) {
        response.onNext(image);
        response.onCompleted();
      }
    } catch (RuntimeException e) {
      if (finished.compareAndSet(false, true)) {
        response.onError(GrpcErrors.toStatus(e));
      }
    }
  }

  private void refuse(String why) {
    upload.fail(new IOException(why));
    if (finished.compareAndSet(false, true)) {
      response.onError(GrpcErrors.toStatus(AgentException.invalid(why)));
    }
  }
}
