package io.ferry.agent.api;

import static io.ferry.agent.api.GrpcErrors.unary;

import com.google.protobuf.ByteString;
import io.ferry.agent.host.HostFacts;
import io.ferry.agent.images.ImageStore;
import io.ferry.agent.lifecycle.ContainerManager;
import io.ferry.agent.lifecycle.SnapshotManager;
import io.ferry.agent.lifecycle.StopOptions;
import io.ferry.agent.runtime.ExecSink;
import io.ferry.agent.runtime.ExecSpec;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerRef;
import io.ferry.proto.v1.CopyContainerRequest;
import io.ferry.proto.v1.CreateContainerRequest;
import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.DeleteContainerResponse;
import io.ferry.proto.v1.DeleteImageRequest;
import io.ferry.proto.v1.DeleteImageResponse;
import io.ferry.proto.v1.DeleteSnapshotResponse;
import io.ferry.proto.v1.ExecOutput;
import io.ferry.proto.v1.ExecRequest;
import io.ferry.proto.v1.GetHostInfoRequest;
import io.ferry.proto.v1.GetHostInfoResponse;
import io.ferry.proto.v1.Image;
import io.ferry.proto.v1.ImportImageRequest;
import io.ferry.proto.v1.ListContainersRequest;
import io.ferry.proto.v1.ListContainersResponse;
import io.ferry.proto.v1.ListImagesRequest;
import io.ferry.proto.v1.ListImagesResponse;
import io.ferry.proto.v1.ListSnapshotsResponse;
import io.ferry.proto.v1.SetImageAliasRequest;
import io.ferry.proto.v1.Snapshot;
import io.ferry.proto.v1.SnapshotRef;
import io.ferry.proto.v1.StartContainerRequest;
import io.ferry.proto.v1.StopContainerRequest;
import io.ferry.proto.v1.UpdateLimitsRequest;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The agent's gRPC face: translates {@code ferry.v1.AgentService} calls into calls on the agent's
 * domain (host facts, image store, containers) and results and errors back into messages and
 * standard gRPC statuses ({@link GrpcErrors}). Holds no state of its own.
 *
 * <p>Handlers block on runc and CRIU; the server runs them on its bounded executor. Image uploads
 * are read by {@code importWorkers}, a separate executor, so a slow upload never starves the
 * handlers that deliver its chunks.
 */
public final class AgentGrpcService extends AgentServiceGrpc.AgentServiceImplBase {

  private final Supplier<HostFacts> hostFacts;
  private final ImageStore images;
  private final ContainerManager containers;
  private final SnapshotManager snapshots;
  private final Executor importWorkers;

  /** @param hostFacts current facts; called on every request, so it must be cheap */
  public AgentGrpcService(
      Supplier<HostFacts> hostFacts,
      ImageStore images,
      ContainerManager containers,
      SnapshotManager snapshots,
      Executor importWorkers) {
    this.hostFacts = hostFacts;
    this.images = images;
    this.containers = containers;
    this.snapshots = snapshots;
    this.importWorkers = importWorkers;
  }

  @Override
  public void getHostInfo(GetHostInfoRequest request, StreamObserver<GetHostInfoResponse> response) {
    unary(response, () -> GetHostInfoResponse.newBuilder().setHost(HostInfoMapper.toProto(hostFacts.get())).build());
  }

  // ---- images ----

  @Override
  public StreamObserver<ImportImageRequest> importImage(StreamObserver<Image> response) {
    return new ImageImportCall(images, (ServerCallStreamObserver<Image>) response, importWorkers);
  }

  @Override
  public void listImages(ListImagesRequest request, StreamObserver<ListImagesResponse> response) {
    unary(response, () -> ListImagesResponse.newBuilder().addAllImages(images.list().stream().map(ProtoMapper::image).toList()).build());
  }

  @Override
  public void deleteImage(DeleteImageRequest request, StreamObserver<DeleteImageResponse> response) {
    unary(response, () -> {
      images.delete(request.getImage(), containers::containersUsing);
      return DeleteImageResponse.getDefaultInstance();
    });
  }

  @Override
  public void setImageAlias(SetImageAliasRequest request, StreamObserver<Image> response) {
    unary(response, () -> ProtoMapper.image(images.setAlias(request.getAlias(), request.getImage())));
  }

  // ---- containers ----

  @Override
  public void createContainer(CreateContainerRequest request, StreamObserver<Container> response) {
    unary(response, () -> ProtoMapper.container(containers.create(ProtoMapper.createSpec(request.getSpec(), request.getNetwork()), request.getStart())));
  }

  @Override
  public void getContainer(ContainerRef request, StreamObserver<Container> response) {
    unary(response, () -> ProtoMapper.container(containers.get(request.getName())));
  }

  @Override
  public void listContainers(ListContainersRequest request, StreamObserver<ListContainersResponse> response) {
    unary(response, () -> ListContainersResponse.newBuilder()
        .addAllContainers(containers.list().stream().map(ProtoMapper::container).toList())
        .build());
  }

  @Override
  public void startContainer(StartContainerRequest request, StreamObserver<Container> response) {
    unary(response, () -> ProtoMapper.container(containers.start(request.getName(), request.getStateful())));
  }

  @Override
  public void stopContainer(StopContainerRequest request, StreamObserver<Container> response) {
    unary(response, () -> ProtoMapper.container(containers.stop(request.getName(), stopOptions(request))));
  }

  @Override
  public void restartContainer(StopContainerRequest request, StreamObserver<Container> response) {
    unary(response, () -> ProtoMapper.container(containers.restart(request.getName(), stopOptions(request).timeout())));
  }

  @Override
  public void freezeContainer(ContainerRef request, StreamObserver<Container> response) {
    unary(response, () -> ProtoMapper.container(containers.freeze(request.getName())));
  }

  @Override
  public void unfreezeContainer(ContainerRef request, StreamObserver<Container> response) {
    unary(response, () -> ProtoMapper.container(containers.unfreeze(request.getName())));
  }

  @Override
  public void deleteContainer(DeleteContainerRequest request, StreamObserver<DeleteContainerResponse> response) {
    unary(response, () -> {
      containers.delete(request.getName(), request.getForce());
      return DeleteContainerResponse.getDefaultInstance();
    });
  }

  @Override
  public void updateLimits(UpdateLimitsRequest request, StreamObserver<Container> response) {
    unary(response, () -> ProtoMapper.container(containers.updateLimits(request.getName(), ProtoMapper.limits(request.getLimits()))));
  }

  @Override
  public void exec(ExecRequest request, StreamObserver<ExecOutput> response) {
    ExecSpec spec;
    try {
      spec =
          new ExecSpec(
              request.getCommandList(),
              request.getEnvMap(),
              request.getCwd().isEmpty() ? "/" : request.getCwd(),
              request.getTimeoutSeconds() == 0 ? ExecSpec.DEFAULT_TIMEOUT : Duration.ofSeconds(request.getTimeoutSeconds()));
    } catch (RuntimeException e) {
      response.onError(GrpcErrors.toStatus(e));
      return;
    }
    // Stdout and stderr are read by two threads: one lock keeps the stream's messages whole.
    Object lock = new Object();
    ExecSink sink =
        (stream, chunk) -> {
          ExecOutput.Builder out = ExecOutput.newBuilder();
          if (stream == ExecSink.Stream.STDOUT) {
            out.setStdout(ByteString.copyFrom(chunk));
          } else {
            out.setStderr(ByteString.copyFrom(chunk));
          }
          synchronized (lock) {
            response.onNext(out.build());
          }
        };
    int exit;
    try {
      exit = containers.exec(request.getName(), spec, sink);
    } catch (RuntimeException e) {
      synchronized (lock) {
        response.onError(GrpcErrors.toStatus(e));
      }
      return;
    }
    synchronized (lock) {
      response.onNext(ExecOutput.newBuilder().setExitCode(exit).build());
      response.onCompleted();
    }
  }

  // ---- snapshots and copies ----

  @Override
  public void createSnapshot(SnapshotRef request, StreamObserver<Snapshot> response) {
    unary(response, () -> ProtoMapper.snapshot(snapshots.create(request.getContainer(), request.getSnapshot())));
  }

  @Override
  public void listSnapshots(ContainerRef request, StreamObserver<ListSnapshotsResponse> response) {
    unary(response, () -> ListSnapshotsResponse.newBuilder()
        .addAllSnapshots(snapshots.list(request.getName()).stream().map(ProtoMapper::snapshot).toList())
        .build());
  }

  @Override
  public void restoreSnapshot(SnapshotRef request, StreamObserver<Container> response) {
    unary(response, () -> ProtoMapper.container(snapshots.restore(request.getContainer(), request.getSnapshot())));
  }

  @Override
  public void deleteSnapshot(SnapshotRef request, StreamObserver<DeleteSnapshotResponse> response) {
    unary(response, () -> {
      snapshots.delete(request.getContainer(), request.getSnapshot());
      return DeleteSnapshotResponse.getDefaultInstance();
    });
  }

  @Override
  public void copyContainer(CopyContainerRequest request, StreamObserver<Container> response) {
    unary(response, () -> ProtoMapper.container(
        snapshots.copy(request.getSource(), request.getTarget(), ProtoMapper.identity(request.getTarget(), request.getNetwork()))));
  }

  private static StopOptions stopOptions(StopContainerRequest request) {
    return new StopOptions(
        request.getForce(),
        request.getTimeoutSeconds() == 0 ? null : Duration.ofSeconds(request.getTimeoutSeconds()),
        request.getStateful());
  }
}
