package io.ferry.cli.commands;

import io.ferry.cli.client.ImageSource;
import io.ferry.cli.client.ImageUpload;
import io.ferry.cli.output.ImageView;
import io.ferry.cli.output.OutputFormat;
import io.ferry.cli.output.ProgressLine;
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
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code ferry agent image-import|images}: an agent's image store. */
final class AgentImageCommands {

  private AgentImageCommands() {}

  /** Streams a rootfs tarball (plain, gzip or zstd) or a directory to the agent in 1 MiB chunks. */
  @Command(name = "image-import", description = "Import a rootfs (a tar, tar.gz or tar.zst file, or a directory) into an agent.")
  static final class Import extends AgentCall {

    @Parameters(index = "1", paramLabel = "FILE", description = "the tarball, or a rootfs directory (sent as a tar stream)")
    Path file;

    @Option(names = "--alias", description = "alias to give the image, e.g. debian/12 (repeatable)")
    List<String> aliases = List.of();

    @Override
    int call(AgentServiceGrpc.AgentServiceBlockingStub agent, ManagedChannel channel, OutputFormat format) throws Exception {
      if (!Files.exists(file)) {
        throw new ParameterException(spec.commandLine(), "no such file or directory: " + file);
      }
      ImageSource source = ImageSource.of(file);
      long size = source.size();
      ProgressLine progress = new ProgressLine(err(), cli().environment().stderrIsTerminal());
      Image image;
      try {
        image = ImageUpload.upload(
            ImageUpload.toAgent(AgentServiceGrpc.newStub(channel).withDeadline(agent.getCallOptions().getDeadline()), aliases),
            source,
            Duration.ofSeconds(timeoutSeconds),
            sent -> progress.show(ImageCommands.uploadProgress(source.name(), sent, size)));
      } finally {
        progress.clear();
      }
      return print(format, image, () -> ImageView.agentTable(List.of(image)));
    }
  }

  @Command(name = "images", description = "List an agent's images.")
  static final class ListImages extends AgentCall {
    @Override
    int call(AgentServiceGrpc.AgentServiceBlockingStub agent, ManagedChannel channel, OutputFormat format) {
      ListImagesResponse images = agent.listImages(ListImagesRequest.getDefaultInstance());
      return print(format, images, () -> ImageView.agentTable(images.getImagesList()));
    }
  }
}
