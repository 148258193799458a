package io.ferry.cli.testing;

import com.google.protobuf.Message;
import io.ferry.proto.v1.ClusterContainer;
import io.ferry.proto.v1.ClusterImage;
import io.ferry.proto.v1.ClusterImportImageRequest;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerRef;
import io.ferry.proto.v1.ContainerServiceGrpc;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.CopyContainerRequest;
import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.DeleteImageRequest;
import io.ferry.proto.v1.DeleteSnapshotResponse;
import io.ferry.proto.v1.Event;
import io.ferry.proto.v1.EventServiceGrpc;
import io.ferry.proto.v1.ExecOutput;
import io.ferry.proto.v1.ExecRequest;
import io.ferry.proto.v1.GetContainerRequest;
import io.ferry.proto.v1.GetHostRequest;
import io.ferry.proto.v1.GetOperationRequest;
import io.ferry.proto.v1.Host;
import io.ferry.proto.v1.HostServiceGrpc;
import io.ferry.proto.v1.Image;
import io.ferry.proto.v1.ImageServiceGrpc;
import io.ferry.proto.v1.LaunchRequest;
import io.ferry.proto.v1.LaunchResponse;
import io.ferry.proto.v1.ListClusterContainersRequest;
import io.ferry.proto.v1.ListClusterContainersResponse;
import io.ferry.proto.v1.ListClusterImagesRequest;
import io.ferry.proto.v1.ListClusterImagesResponse;
import io.ferry.proto.v1.ListHostsRequest;
import io.ferry.proto.v1.ListHostsResponse;
import io.ferry.proto.v1.ListOperationsRequest;
import io.ferry.proto.v1.ListOperationsResponse;
import io.ferry.proto.v1.ListSnapshotsResponse;
import io.ferry.proto.v1.Operation;
import io.ferry.proto.v1.OperationServiceGrpc;
import io.ferry.proto.v1.OperationState;
import io.ferry.proto.v1.SetImageAliasRequest;
import io.ferry.proto.v1.Snapshot;
import io.ferry.proto.v1.SnapshotRef;
import io.ferry.proto.v1.StartContainerRequest;
import io.ferry.proto.v1.StopContainerRequest;
import io.ferry.proto.v1.UpdateLimitsRequest;
import io.ferry.proto.v1.WatchEventsRequest;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A coordinator's public API in process, for CLI tests: records every request, answers with
 * what the test put in its fields, or fails a method with the status in {@link #failures}.
 * Long calls answer with {@link #operation} and {@code WatchOperation} streams {@link #updates}.
 */
public final class FakeCoordinator implements AutoCloseable {

  /** Every request received, in order (for streams: the first message). */
  public final List<Message> requests = new CopyOnWriteArrayList<>();

  /** Method name (e.g. "launch", "watchOperation") to the status it fails with. */
  public final Map<String, Status> failures = new ConcurrentHashMap<>();

  public volatile LaunchResponse launchResponse;
  public volatile Operation operation = operation("op-1", OperationState.OPERATION_STATE_RUNNING, "", 0);
  public volatile List<Operation> updates = List.of(operation("op-1", OperationState.OPERATION_STATE_SUCCEEDED, "done", 100));
  /** What GetOperation answers; null: the last of {@link #updates}. */
  public volatile Operation current;
  public volatile ClusterContainer container = container("web-1", ContainerState.CONTAINER_STATE_RUNNING, "host-1");
  public volatile List<ClusterContainer> containers = List.of();
  public volatile List<ExecOutput> execOutput = List.of();
  public volatile List<Snapshot> snapshots = List.of();
  public volatile List<ClusterImage> images = List.of();
  public volatile List<Host> hosts = List.of();
  public volatile List<Operation> operations = List.of();
  public volatile List<Event> events = List.of();
  /** Events after which the events stream fails with this status instead of ending (null: ends). */
  public volatile Status eventsEndWith;

  /** Every message of each image import, in order. */
  public final List<ClusterImportImageRequest> imported = new CopyOnWriteArrayList<>();
  /** When set, the import asks for one message at a time, from another thread (flow control). */
  public volatile boolean importOneAtATime;

  private final Server server;

  public FakeCoordinator(String inProcessName) throws IOException {
    server = InProcessServerBuilder.forName(inProcessName)
        .addService(new Containers())
        .addService(new Images())
        .addService(new Hosts())
        .addService(new Certificates())
        .addService(new Operations())
        .addService(new Events())
        .build()
        .start();
  }

  @SuppressWarnings("unchecked")
  public <T extends Message> T last(Class<T> type) {
    for (int i = requests.size() - 1; i >= 0; i--) {
      if (type.isInstance(requests.get(i))) {
        return (T) requests.get(i);
      }
    }
    throw new AssertionError("no " + type.getSimpleName() + " received; got " + requests);
  }

  public <T extends Message> List<T> all(Class<T> type) {
    List<T> found = new ArrayList<>();
    for (Message m : requests) {
      if (type.isInstance(m)) {
        found.add(type.cast(m));
      }
    }
    return found;
  }

  public static Operation operation(String id, OperationState state, String phase, int percent) {
    return Operation.newBuilder().setId(id).setState(state).setPhase(phase).setProgressPercent(percent)
        .setKind("launch").setTarget("web-1").setDescription("launch web-1").build();
  }

  public static ClusterContainer container(String name, ContainerState state, String host) {
    return ClusterContainer.newBuilder()
        .setContainer(Container.newBuilder()
            .setSpec(ContainerSpec.newBuilder().setName(name).setImage("debian/12"))
            .setState(state))
        .setHost(host)
        .setDesiredState(state)
        .build();
  }

  @Override
  public void close() {
    server.shutdownNow();
  }

  /** Records the request; returns false (having failed the call) when the test set a failure. */
  private boolean accept(String method, Message request, StreamObserver<?> response) {
    requests.add(request);
    Status failure = failures.get(method);
    if (failure != null) {
      response.onError(failure.asRuntimeException());
      return false;
    }
    return true;
  }

  private static <T> void reply(StreamObserver<T> response, T value) {
    response.onNext(value);
    response.onCompleted();
  }

  private final class Containers extends ContainerServiceGrpc.ContainerServiceImplBase {
    @Override
    public void launch(LaunchRequest request, StreamObserver<LaunchResponse> response) {
      if (accept("launch", request, response)) {
        reply(response, launchResponse != null ? launchResponse
            : LaunchResponse.newBuilder().setOperation(operation).setChosenHost("host-1").build());
      }
    }

    @Override
    public void get(GetContainerRequest request, StreamObserver<ClusterContainer> response) {
      if (accept("get", request, response)) {
        reply(response, container);
      }
    }

    @Override
    public void list(ListClusterContainersRequest request, StreamObserver<ListClusterContainersResponse> response) {
      if (accept("list", request, response)) {
        reply(response, ListClusterContainersResponse.newBuilder().addAllContainers(containers).build());
      }
    }

    @Override
    public void start(StartContainerRequest request, StreamObserver<Operation> response) {
      if (accept("start", request, response)) {
        reply(response, operation);
      }
    }

    @Override
    public void stop(StopContainerRequest request, StreamObserver<Operation> response) {
      if (accept("stop", request, response)) {
        reply(response, operation);
      }
    }

    @Override
    public void restart(StopContainerRequest request, StreamObserver<Operation> response) {
      if (accept("restart", request, response)) {
        reply(response, operation);
      }
    }

    @Override
    public void delete(DeleteContainerRequest request, StreamObserver<Operation> response) {
      if (accept("delete", request, response)) {
        reply(response, operation);
      }
    }

    @Override
    public void copy(CopyContainerRequest request, StreamObserver<Operation> response) {
      if (accept("copy", request, response)) {
        reply(response, operation);
      }
    }

    @Override
    public void freeze(ContainerRef request, StreamObserver<ClusterContainer> response) {
      if (accept("freeze", request, response)) {
        reply(response, container);
      }
    }

    @Override
    public void unfreeze(ContainerRef request, StreamObserver<ClusterContainer> response) {
      if (accept("unfreeze", request, response)) {
        reply(response, container);
      }
    }

    @Override
    public void updateLimits(UpdateLimitsRequest request, StreamObserver<ClusterContainer> response) {
      if (accept("updateLimits", request, response)) {
        ClusterContainer.Builder updated = container.toBuilder();
        updated.getContainerBuilder().setLimits(request.getLimits());
        reply(response, updated.build());
      }
    }

    @Override
    public void exec(ExecRequest request, StreamObserver<ExecOutput> response) {
      if (accept("exec", request, response)) {
        execOutput.forEach(response::onNext);
        response.onCompleted();
      }
    }

    @Override
    public void createSnapshot(SnapshotRef request, StreamObserver<Snapshot> response) {
      if (accept("createSnapshot", request, response)) {
        reply(response, Snapshot.newBuilder().setContainer(request.getContainer()).setName(request.getSnapshot()).setSizeBytes(3L << 20).build());
      }
    }

    @Override
    public void listSnapshots(ContainerRef request, StreamObserver<ListSnapshotsResponse> response) {
      if (accept("listSnapshots", request, response)) {
        reply(response, ListSnapshotsResponse.newBuilder().addAllSnapshots(snapshots).build());
      }
    }

    @Override
    public void restoreSnapshot(SnapshotRef request, StreamObserver<ClusterContainer> response) {
      if (accept("restoreSnapshot", request, response)) {
        reply(response, container);
      }
    }

    @Override
    public void deleteSnapshot(SnapshotRef request, StreamObserver<DeleteSnapshotResponse> response) {
      if (accept("deleteSnapshot", request, response)) {
        reply(response, DeleteSnapshotResponse.getDefaultInstance());
      }
    }
  }

  private final class Images extends ImageServiceGrpc.ImageServiceImplBase {
    @Override
    public StreamObserver<ClusterImportImageRequest> importImage(StreamObserver<ClusterImage> response) {
      io.grpc.stub.ServerCallStreamObserver<ClusterImage> call = (io.grpc.stub.ServerCallStreamObserver<ClusterImage>) response;
      if (importOneAtATime) {
        call.disableAutoRequest();
        call.request(1);
      }
      return new StreamObserver<>() {
        private long bytes;

        @Override
        public void onNext(ClusterImportImageRequest part) {
          if (imported.isEmpty()) {
            requests.add(part);
          }
          imported.add(part);
          bytes += part.getChunk().getData().size();
          if (importOneAtATime) {
            new Thread(() -> call.request(1)).start();
          }
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          Status failure = failures.get("importImage");
          if (failure != null) {
            response.onError(failure.asRuntimeException());
            return;
          }
          ClusterImportImageRequest.Header h = imported.get(0).getHeader();
          reply(response, ClusterImage.newBuilder()
              .setImage(Image.newBuilder().setDigest("ab".repeat(32)).addAllAliases(h.getAliasesList())
                  .setArchiveBytes(bytes).setUnpackedBytes(bytes).setSource(h.getSource()))
              .addAllHosts(h.getHostsList().isEmpty() ? List.of("host-1", "host-2") : h.getHostsList())
              .build());
        }
      };
    }

    @Override
    public void listImages(ListClusterImagesRequest request, StreamObserver<ListClusterImagesResponse> response) {
      if (accept("listImages", request, response)) {
        reply(response, ListClusterImagesResponse.newBuilder().addAllImages(images).build());
      }
    }

    @Override
    public void deleteImage(DeleteImageRequest request, StreamObserver<ClusterImage> response) {
      if (accept("deleteImage", request, response)) {
        reply(response, images.isEmpty() ? ClusterImage.getDefaultInstance() : images.get(0));
      }
    }

    @Override
    public void setImageAlias(SetImageAliasRequest request, StreamObserver<ClusterImage> response) {
      if (accept("setImageAlias", request, response)) {
        ClusterImage.Builder image = images.isEmpty() ? ClusterImage.newBuilder() : images.get(0).toBuilder();
        image.getImageBuilder().addAliases(request.getAlias());
        reply(response, image.build());
      }
    }
  }

  private final class Hosts extends HostServiceGrpc.HostServiceImplBase {
    @Override
    public void listHosts(ListHostsRequest request, StreamObserver<ListHostsResponse> response) {
      if (accept("listHosts", request, response)) {
        reply(response, ListHostsResponse.newBuilder().addAllHosts(hosts).build());
      }
    }

    @Override
    public void getHost(GetHostRequest request, StreamObserver<Host> response) {
      if (accept("getHost", request, response)) {
        reply(response, hosts.stream().filter(h -> h.getName().equals(request.getName())).findFirst().orElseThrow());
      }
    }

    @Override
    public void evacuate(io.ferry.proto.v1.EvacuateHostRequest request, StreamObserver<Operation> response) {
      if (accept("evacuate", request, response)) {
        reply(response, operation);
      }
    }

    @Override
    public void restore(io.ferry.proto.v1.RestoreHostRequest request, StreamObserver<Operation> response) {
      if (accept("restore", request, response)) {
        reply(response, operation);
      }
    }
  }

  /** Signs for real with a CA of its own, so the CLI's files can be checked as a pair. */
  private final class Certificates extends io.ferry.proto.v1.CertificateServiceGrpc.CertificateServiceImplBase {
    private final io.ferry.common.security.TestPki pki = io.ferry.common.security.TestPki.inNewTempDirectory("ferry-cli-test-ca");

    @Override
    public void issueClientCertificate(
        io.ferry.proto.v1.IssueClientCertificateRequest request, StreamObserver<io.ferry.proto.v1.IssueClientCertificateResponse> response) {
      if (accept("IssueClientCertificate", request, response)) {
        io.ferry.common.security.SignedCertificate signed = pki.authority().signClient(
            new io.ferry.common.security.Identity(request.getName(), io.ferry.common.security.Role.fromCertificateName(request.getRole())),
            io.ferry.common.security.CertificateRequests.verifiedPublicKey(request.getCertificateRequestPem()));
        reply(response, io.ferry.proto.v1.IssueClientCertificateResponse.newBuilder()
            .setCertificateChainPem(signed.certificateChainPem())
            .setCaCertificatePem(pki.authority().certificatePem())
            .setSerial(signed.serial().toString(16))
            .setExpiresAt(com.google.protobuf.Timestamp.newBuilder().setSeconds(signed.notAfter().getEpochSecond()))
            .build());
      }
    }

    @Override
    public void listCertificates(
        io.ferry.proto.v1.ListCertificatesRequest request, StreamObserver<io.ferry.proto.v1.ListCertificatesResponse> response) {
      if (accept("ListCertificates", request, response)) {
        reply(response, io.ferry.proto.v1.ListCertificatesResponse.newBuilder()
            .addCertificates(io.ferry.proto.v1.IssuedCertificateInfo.newBuilder().setSerial("1f2e").setName("ci-bot").setRole("operator")
                .setExpiresAt(com.google.protobuf.Timestamp.newBuilder().setSeconds(1_900_000_000L)))
            .addCertificates(io.ferry.proto.v1.IssuedCertificateInfo.newBuilder().setSerial("3a4b").setName("host-1").setRole("host").setRevoked(true))
            .build());
      }
    }

    @Override
    public void revokeCertificate(
        io.ferry.proto.v1.RevokeCertificateRequest request, StreamObserver<io.ferry.proto.v1.RevokeCertificateResponse> response) {
      if (accept("RevokeCertificate", request, response)) {
        reply(response, io.ferry.proto.v1.RevokeCertificateResponse.newBuilder().setSerial(request.getSerial()).setNewlyRevoked(true).build());
      }
    }
  }

  private final class Operations extends OperationServiceGrpc.OperationServiceImplBase {
    @Override
    public void getOperation(GetOperationRequest request, StreamObserver<Operation> response) {
      if (accept("getOperation", request, response)) {
        reply(response, current != null ? current : updates.isEmpty() ? operation : updates.get(updates.size() - 1));
      }
    }

    @Override
    public void listOperations(ListOperationsRequest request, StreamObserver<ListOperationsResponse> response) {
      if (accept("listOperations", request, response)) {
        reply(response, ListOperationsResponse.newBuilder().addAllOperations(operations).build());
      }
    }

    @Override
    public void watchOperation(GetOperationRequest request, StreamObserver<Operation> response) {
      if (accept("watchOperation", request, response)) {
        updates.forEach(response::onNext);
        response.onCompleted();
      }
    }

    @Override
    public void cancelOperation(GetOperationRequest request, StreamObserver<Operation> response) {
      if (accept("cancelOperation", request, response)) {
        reply(response, operation.toBuilder().setId(request.getId()).setState(OperationState.OPERATION_STATE_CANCELLED).build());
      }
    }
  }

  private final class Events extends EventServiceGrpc.EventServiceImplBase {
    @Override
    public void watchEvents(WatchEventsRequest request, StreamObserver<Event> response) {
      if (accept("watchEvents", request, response)) {
        events.forEach(response::onNext);
        if (eventsEndWith != null) {
          response.onError(eventsEndWith.asRuntimeException());
        } else {
          response.onCompleted();
        }
      }
    }
  }
}
