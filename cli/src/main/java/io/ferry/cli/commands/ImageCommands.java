package io.ferry.cli.commands;

import io.ferry.cli.client.ImageSource;
import io.ferry.cli.client.ImageUpload;
import io.ferry.cli.output.ImageView;
import io.ferry.cli.output.ProgressLine;
import io.ferry.proto.v1.ClusterImage;
import io.ferry.proto.v1.ClusterImportImageRequest;
import io.ferry.proto.v1.DeleteImageRequest;
import io.ferry.proto.v1.ImageServiceGrpc;
import io.ferry.proto.v1.ListClusterImagesRequest;
import io.ferry.proto.v1.SetImageAliasRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ferry image import|list|delete|alias}: the cluster's images, held by its hosts. */
@Command(
    name = "image",
    description = "The cluster's images.",
    subcommands = {ImageCommands.Import.class, ImageCommands.ListImages.class, ImageCommands.Delete.class, ImageCommands.Alias.class})
public final class ImageCommands {

  /**
   * Streams a rootfs archive (tar, tar.gz, tar.zst) or a directory (as a tar) to the coordinator,
   * which imports it on the hosts named, or on every online host. An upload cut off by a
   * coordinator that went away starts over on the next one.
   */
  @Command(name = "import", description = "Import a rootfs (a tar, tar.gz or tar.zst file, or a directory) into the cluster's hosts.")
  static final class Import extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "FILE|DIR", description = "the archive, or a rootfs directory (sent as a tar stream)")
    Path file;

    @Option(names = "--alias", paramLabel = "ALIAS", description = "alias to give the image, e.g. debian/12 (repeatable)")
    List<String> aliases = new ArrayList<>();

    @Option(names = "--host", paramLabel = "HOST", description = "import on this host (repeatable; default: every online host)")
    List<String> hosts = new ArrayList<>();

    @Option(names = "--sha256", paramLabel = "HEX", description = "refuse the archive unless its SHA-256 is this")
    String sha256;

    @Override
    int run() throws Exception {
      if (!Files.exists(file)) {
        throw usage("no such file or directory: " + file);
      }
      ImageSource source = ImageSource.of(file);
      ClusterImportImageRequest.Header header = ClusterImportImageRequest.Header.newBuilder()
          .addAllAliases(aliases)
          .addAllHosts(hosts)
          .setExpectedSha256(sha256 == null ? "" : sha256)
          .build();
      long size = source.size();
      long wait = settings().waitTimeout().toMillis();
      ProgressLine progress = new ProgressLine(err(), cli().environment().stderrIsTerminal());
      ClusterImage image;
      try {
        image = client().call((channel, address) -> ImageUpload.upload(
            ImageUpload.toCluster(ImageServiceGrpc.newStub(channel).withDeadlineAfter(wait, TimeUnit.MILLISECONDS), header),
            source,
            settings().waitTimeout(),
            sent -> progress.show(uploadProgress(source.name(), sent, size))));
      } finally {
        progress.clear();
      }
      return print(image, () -> ImageView.clusterTable(List.of(image)));
    }
  }

  /** {@code uploading busybox.tar.zst [#####...] 25%}, or MiB sent when the size is unknown. */
  static String uploadProgress(String name, long sent, long size) {
    return size == 0
        ? "uploading " + name + ": " + (sent >> 20) + " MiB"
        : "uploading " + name + " " + ProgressLine.bar((int) (sent * 100 / size));
  }

  @Command(name = "list", description = "List the cluster's images and the hosts that hold them.")
  static final class ListImages extends ClusterCommand {
    @Override
    int run() throws Exception {
      var images = client().images(s -> s.listImages(ListClusterImagesRequest.getDefaultInstance()));
      return print(images, () -> ImageView.clusterTable(images.getImagesList()));
    }
  }

  @Command(name = "delete", description = "Delete an image from every host that holds it.")
  static final class Delete extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "IMAGE", description = "alias, digest or digest prefix (12+ hex digits)")
    String image;

    @Override
    int run() throws Exception {
      var deleted = client().images(s -> s.deleteImage(DeleteImageRequest.newBuilder().setImage(image).build()));
      return print(deleted, () -> ImageView.clusterTable(List.of(deleted)));
    }
  }

  @Command(name = "alias", description = "Give an image another alias.")
  static final class Alias extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "IMAGE", description = "alias, digest or digest prefix")
    String image;

    @Parameters(index = "1", paramLabel = "ALIAS", description = "the new alias")
    String alias;

    @Override
    int run() throws Exception {
      var aliased = client().images(s -> s.setImageAlias(SetImageAliasRequest.newBuilder().setImage(image).setAlias(alias).build()));
      return print(aliased, () -> ImageView.clusterTable(List.of(aliased)));
    }
  }
}
