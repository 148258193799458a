package io.ferry.cli.commands;

import io.ferry.cli.client.ImageUpload;
import io.ferry.cli.output.JsonOutput;
import io.ferry.cli.output.OutputFormat;
import io.ferry.cli.output.Table;
import io.ferry.common.ByteSize;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.Image;
import io.ferry.proto.v1.ListImagesRequest;
import io.ferry.proto.v1.ListImagesResponse;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ferry agent image-import|images}: an agent's image store. */
final class AgentImageCommands {

  private AgentImageCommands() {}

  /** Streams a rootfs tarball (plain, gzip or zstd) to the agent in 1 MiB chunks. */
  @Command(name = "image-import", description = "Import a rootfs (a tar, tar.gz or tar.zst file, or a directory) into an agent.")
  static final class Import extends AgentCall {

    @Parameters(index = "1", paramLabel = "FILE", description = "the tarball, or a rootfs directory (sent as a tar stream)")
    Path file;

    @Option(names = "--alias", description = "alias to give the image, e.g. debian/12 (repeatable)")
    List<String> aliases = List.of();

    @Override
    int call(AgentServiceGrpc.AgentServiceBlockingStub agent, ManagedChannel channel, OutputFormat format) throws Exception {
      Image image = upload(AgentServiceGrpc.newStub(channel).withDeadline(agent.getCallOptions().getDeadline()));
      out().print(format == OutputFormat.JSON ? JsonOutput.of(image) : render(List.of(image)));
      return 0;
    }

    private Image upload(AgentServiceGrpc.AgentServiceStub stub) throws Exception {
      long size = Files.isDirectory(file) ? 0 : Files.size(file);
      try {
        Duration timeout = Duration.ofSeconds(timeoutSeconds);
        return Files.isDirectory(file)
            ? ImageUpload.uploadDirectory(stub, file, aliases, timeout, sent -> progress(sent, 0))
            : ImageUpload.upload(stub, file, aliases, timeout, sent -> progress(sent, size));
      } finally {
        if (showProgress) {
          err().println();
        }
      }
    }

    /** A progress line for people at a terminal; nothing when stderr goes to a file or a pipe. */
    private final boolean showProgress = System.console() != null;

    private long shownPercent = -1;

    private void progress(long sent, long size) {
      long shown = size == 0 ? sent >> 20 : sent * 100 / size;
      if (showProgress && shown != shownPercent) {
        shownPercent = shown;
        err().printf(size == 0 ? "\ruploading %s: %d MiB" : "\ruploading %s: %d%%", file.getFileName(), shown);
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
