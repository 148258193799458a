package io.ferry.coordinator.api;

import io.ferry.coordinator.CoordinatorException;
import io.ferry.coordinator.CoordinatorException.Kind;
import io.ferry.coordinator.hosts.AgentClients;
import io.ferry.coordinator.hosts.HostDirectory;
import io.ferry.coordinator.hosts.HostImages;
import io.ferry.coordinator.hosts.ImageDistribution;
import io.ferry.coordinator.placement.HostStatus;
import io.ferry.proto.v1.ClusterImage;
import io.ferry.proto.v1.ClusterImportImageRequest;
import io.ferry.proto.v1.DeleteImageRequest;
import io.ferry.proto.v1.Image;
import io.ferry.proto.v1.ImageServiceGrpc;
import io.ferry.proto.v1.ImportImageRequest;
import io.ferry.proto.v1.ListClusterImagesRequest;
import io.ferry.proto.v1.ListClusterImagesResponse;
import io.ferry.proto.v1.SetImageAliasRequest;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.function.BiFunction;

/**
 * {@code ferry.v1.ImageService}. An import is spooled to a temporary file on this coordinator
 * (bounded by {@code maxArchiveBytes}), then sent to each chosen host's agent, which validates and
 * unpacks it; the spool is removed in every case. Listing joins what each host's agent reports.
 * Any coordinator serves it: images live on the hosts, not in ZooKeeper.
 */
final class ImageApi extends ImageServiceGrpc.ImageServiceImplBase {

  private final HostDirectory hosts;
  private final HostImages images;
  private final AgentClients agents;
  private final ImageDistribution distribution;
  private final Path spoolDir;
  private final long maxArchiveBytes;
  private final ExecutorService workers;

  ImageApi(HostDirectory hosts, HostImages images, AgentClients agents, ImageDistribution distribution, Path spoolDir, long maxArchiveBytes, ExecutorService workers) {
    this.hosts = hosts;
    this.images = images;
    this.agents = agents;
    this.distribution = distribution;
    this.spoolDir = spoolDir;
    this.maxArchiveBytes = maxArchiveBytes;
    this.workers = workers;
  }

  @Override
  public StreamObserver<ClusterImportImageRequest> importImage(StreamObserver<ClusterImage> response) {
    return new StreamObserver<>() {
      private ClusterImportImageRequest.Header header;
      private Path spool;
      private OutputStream out;
      private long received;
      private boolean failed;

      @Override
      public void onNext(ClusterImportImageRequest part) {
        if (failed) {
          return;
        }
        try {
          if (part.hasHeader()) {
            if (header != null) {
              throw invalid("a second header");
            }
            header = part.getHeader();
            for (String host : header.getHostsList()) {
              if (hosts.host(host).isEmpty()) {
                throw new CoordinatorException(Kind.NOT_FOUND, "no host " + host + " in the cluster");
              }
            }
            Files.createDirectories(spoolDir);
            spool = Files.createTempFile(spoolDir, "import-", ".tar");
            out = Files.newOutputStream(spool);
            return;
          }
          if (header == null) {
            throw invalid("the first message must be the header");
          }
          ImportImageRequest.Chunk chunk = part.getChunk();
          if (chunk.getOffset() != received) {
            throw invalid("chunk at offset " + chunk.getOffset() + ", expected " + received);
          }
          received += chunk.getData().size();
          if (received > maxArchiveBytes) {
            throw new CoordinatorException(Kind.RESOURCE_EXHAUSTED, "the archive exceeds " + maxArchiveBytes + " bytes");
          }
          chunk.getData().writeTo(out);
        } catch (IOException e) {
          fail(new CoordinatorException(Kind.INTERNAL, "cannot spool the archive: " + e.getMessage()));
        } catch (RuntimeException e) {
          fail(e);
        }
      }

      @Override
      public void onError(Throwable t) {
        cleanUp();
      }

      @Override
      public void onCompleted() {
        if (failed) {
          return;
        }
        if (header == null) {
          fail(invalid("no header"));
          return;
        }
        try {
          out.close();
        } catch (IOException e) {
          fail(new CoordinatorException(Kind.INTERNAL, "cannot spool the archive: " + e.getMessage()));
          return;
        }
        workers.execute(() -> {
          try {
            ApiErrors.unary(response, () -> distribute(header, spool));
          } finally {
            cleanUp();
          }
        });
      }

      private void fail(RuntimeException e) {
        failed = true;
        cleanUp();
        response.onError(ApiErrors.toStatus(e));
      }

      private void cleanUp() {
        try {
          if (out != null) {
            out.close();
          }
          if (spool != null) {
            Files.deleteIfExists(spool);
          }
        } catch (IOException e) {
          // Best effort: a temporary file.
        }
      }
    };
  }

  private ClusterImage distribute(ClusterImportImageRequest.Header header, Path archive) {
    List<String> targets = header.getHostsList().isEmpty()
        ? hosts.hosts().stream().filter(h -> h.status() == HostStatus.ONLINE).map(HostDirectory.HostView::name).toList()
        : header.getHostsList();
    if (targets.isEmpty()) {
      throw new CoordinatorException(Kind.FAILED_PRECONDITION, "no online host to import on");
    }
    ImportImageRequest.Header agentHeader =
        ImportImageRequest.Header.newBuilder().addAllAliases(header.getAliasesList()).setExpectedSha256(header.getExpectedSha256()).setSource(header.getSource()).build();
    Map<String, ImageDistribution.HostResult> results = distribution.send(archive, agentHeader, targets);
    ClusterImage.Builder out = ClusterImage.newBuilder();
    List<String> failures = new ArrayList<>();
    StatusRuntimeException first = null;
    for (Map.Entry<String, ImageDistribution.HostResult> e : results.entrySet()) {
      images.refresh(e.getKey());
      if (e.getValue().ok()) {
        out.setImage(e.getValue().image()).addHosts(e.getKey());
      } else {
        first = first == null ? e.getValue().error() : first;
        failures.add(e.getKey() + ": " + e.getValue().error().getStatus().getCode() + " " + e.getValue().error().getStatus().getDescription());
      }
    }
    if (!failures.isEmpty()) {
      throw first.getStatus()
          .withDescription("imported on " + (out.getHostsCount() == 0 ? "no host" : String.join(", ", out.getHostsList())) + "; refused by " + String.join("; ", failures))
          .asRuntimeException();
    }
    return out.build();
  }

  @Override
  public void listImages(ListClusterImagesRequest request, StreamObserver<ListClusterImagesResponse> response) {
    ApiErrors.unary(
        response,
        () -> {
          Map<String, ClusterImage.Builder> byDigest = new TreeMap<>();
          for (HostDirectory.HostView host : hosts.hosts()) {
            for (Image image : images.images(host.name())) {
              byDigest.computeIfAbsent(image.getDigest(), d -> ClusterImage.newBuilder().setImage(image)).addHosts(host.name());
            }
          }
          ListClusterImagesResponse.Builder out = ListClusterImagesResponse.newBuilder();
          byDigest.values().forEach(out::addImages);
          return out.build();
        });
  }

  @Override
  public void deleteImage(DeleteImageRequest request, StreamObserver<ClusterImage> response) {
    ApiErrors.unary(response, () -> onHolders(request.getImage(), (host, image) -> {
      agents.blocking(host).deleteImage(request);
      return image;
    }));
  }

  @Override
  public void setImageAlias(SetImageAliasRequest request, StreamObserver<ClusterImage> response) {
    ApiErrors.unary(response, () -> onHolders(request.getImage(), (host, image) -> agents.blocking(host).setImageAlias(request)));
  }

  /** Applies {@code action} on every host holding {@code ref}; NOT_FOUND when none does. */
  private ClusterImage onHolders(String ref, BiFunction<String, Image, Image> action) {
    ClusterImage.Builder out = ClusterImage.newBuilder();
    for (HostDirectory.HostView host : hosts.hosts()) {
      for (Image image : images.images(host.name())) {
        if (image.getDigest().equals(ref) || image.getDigest().startsWith(ref) && ref.length() >= 12 || image.getAliasesList().contains(ref)) {
          out.setImage(action.apply(host.name(), image)).addHosts(host.name());
          images.refresh(host.name());
          break;
        }
      }
    }
    if (out.getHostsCount() == 0) {
      throw new CoordinatorException(Kind.NOT_FOUND, "no host holds image " + ref);
    }
    return out.build();
  }

  private static CoordinatorException invalid(String what) {
    return new CoordinatorException(Kind.INVALID_ARGUMENT, "bad import stream: " + what);
  }
}
