package io.ferry.cli.commands;

import com.google.protobuf.ByteString;
import io.ferry.cli.output.JsonOutput;
import io.ferry.cli.output.OutputFormat;
import io.ferry.cli.output.Table;
import io.ferry.common.ByteSize;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.Image;
import io.ferry.proto.v1.ImportImageRequest;
import io.ferry.proto.v1.ListImagesRequest;
import io.ferry.proto.v1.ListImagesResponse;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ferry agent image-import|images}: an agent's image store. */
final class AgentImageCommands {

  private AgentImageCommands() {}

  /** Streams a rootfs tarball (plain, gzip or zstd) to the agent in 1 MiB chunks. */
  @Command(name = "image-import", description = "Import a rootfs tarball (tar, tar.gz, tar.zst) into an agent.")
  static final class Import extends AgentCall {

    @Parameters(index = "1", paramLabel = "FILE", description = "the tarball")
    Path file;

    @Option(names = "--alias", description = "alias to give the image, e.g. debian/12 (repeatable)")
    List<String> aliases = List.of();

    @Override
    int call(AgentServiceGrpc.AgentServiceBlockingStub agent, ManagedChannel channel, OutputFormat format) throws Exception {
      Image image = upload(AgentServiceGrpc.newStub(channel).withDeadline(agent.getCallOptions().getDeadline()));
      out().print(format == OutputFormat.JSON ? JsonOutput.of(image) : render(List.of(image)));
      return 0;
    }

    /** Sends chunks only while the transport is ready (flow control), so memory stays flat. */
    private Image upload(AgentServiceGrpc.AgentServiceStub stub) throws Exception {
      CompletableFuture<Image> done = new CompletableFuture<>();
      InputStream in = Files.newInputStream(file);
      long size = Files.size(file);
      ClientResponseObserver<ImportImageRequest, Image> observer =
          new ClientResponseObserver<>() {
            private long offset;
            private boolean headerSent;

            @Override
            public void beforeStart(ClientCallStreamObserver<ImportImageRequest> requests) {
              requests.setOnReadyHandler(() -> {
                try {
                  while (requests.isReady() && !done.isDone()) {
                    if (!headerSent) {
                      headerSent = true;
                      requests.onNext(ImportImageRequest.newBuilder()
                          .setHeader(ImportImageRequest.Header.newBuilder().addAllAliases(aliases).setSource(file.getFileName().toString()))
                          .build());
                      continue;
                    }
                    byte[] chunk = in.readNBytes(1 << 20);
                    if (chunk.length == 0) {
                      in.close();
                      requests.onCompleted();
                      return;
                    }
                    requests.onNext(ImportImageRequest.newBuilder()
                        .setChunk(ImportImageRequest.Chunk.newBuilder().setOffset(offset).setData(ByteString.copyFrom(chunk)))
                        .build());
                    offset += chunk.length;
                    progress(offset, size);
                  }
                } catch (java.io.IOException e) {
                  requests.onError(e);
                  done.completeExceptionally(e);
                }
              });
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
          };
      stub.importImage(observer);
      try {
        return done.get(timeoutSeconds, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        throw e.getCause() instanceof Exception cause ? cause : e;
      } finally {
        if (showProgress) {
          err().println();
        }
        in.close();
      }
    }

    /** A progress line for people at a terminal; nothing when stderr goes to a file or a pipe. */
    private final boolean showProgress = System.console() != null;

    private long shownPercent = -1;

    private void progress(long sent, long size) {
      long percent = size == 0 ? 100 : sent * 100 / size;
      if (showProgress && percent != shownPercent) {
        shownPercent = percent;
        err().printf("\ruploading %s: %d%%", file.getFileName(), percent);
        err().flush();
      }
    }
  }

  @Command(name = "images", description = "List an agent's images.")
  static final class ListImages extends AgentCall {
    @Override
    int call(AgentServiceGrpc.AgentServiceBlockingStub agent, ManagedChannel channel, OutputFormat format) {
      ListImagesResponse images = agent.listImages(ListImagesRequest.getDefaultInstance());
      out().print(format == OutputFormat.JSON ? JsonOutput.of(images) : render(images.getImagesList()));
      return 0;
    }
  }

  static String render(List<Image> images) {
    Table table = new Table("aliases", "digest", "size", "files", "source");
    for (Image i : images) {
      table.row(
          String.join(",", i.getAliasesList()),
          i.getDigest().substring(0, Math.min(12, i.getDigest().length())),
          ByteSize.ofBytes(i.getUnpackedBytes()).humanReadable(),
          i.getFileCount(),
          i.getSource());
    }
    return table.render();
  }
}
