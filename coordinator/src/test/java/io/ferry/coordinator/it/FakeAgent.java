package io.ferry.coordinator.it;

import com.google.protobuf.ByteString;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerRef;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.CopyContainerRequest;
import io.ferry.proto.v1.CreateContainerRequest;
import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.DeleteContainerResponse;
import io.ferry.proto.v1.ExecOutput;
import io.ferry.proto.v1.ExecRequest;
import io.ferry.proto.v1.CriuFeature;
import io.ferry.proto.v1.CriuInfo;
import io.ferry.proto.v1.GetHostInfoRequest;
import io.ferry.proto.v1.GetHostInfoResponse;
import io.ferry.proto.v1.HostInfo;
import io.ferry.proto.v1.Image;
import io.ferry.proto.v1.ListContainersRequest;
import io.ferry.proto.v1.ListContainersResponse;
import io.ferry.proto.v1.ListImagesRequest;
import io.ferry.proto.v1.ListImagesResponse;
import io.ferry.proto.v1.StartContainerRequest;
import io.ferry.proto.v1.StopContainerRequest;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An agent's gRPC API with nothing behind it: containers are entries in a map that move between
 * states as asked, images are a fixed list. Enough for the coordinator's tests; counts creates so a
 * test can tell a container was never made twice.
 */
final class FakeAgent extends AgentServiceGrpc.AgentServiceImplBase implements AutoCloseable {

  final String host;
  final Map<String, Container> containers = new ConcurrentHashMap<>();
  final AtomicInteger creates = new AtomicInteger();
  volatile String failStartsWith;
  final FakeMigration migration = new FakeMigration(this);
  private final List<Image> images;
  private Server server;

  FakeAgent(String host, List<String> imageAliases) {
    this.host = host;
    this.images = imageAliases.stream().map(a -> Image.newBuilder().setDigest("sha256-" + a.replace('/', '-')).addAliases(a).build()).toList();
  }

  FakeAgent start() throws IOException {
    io.ferry.common.security.ClusterTls tls = TestCerts.host(host);
    // Mutual TLS like a real agent; any certificate of the cluster may call (the real policy is the agent's).
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), tls.serverCredentials())
        .addService(this).addService(migration).build().start();
    FakeMigration.AGENTS.put(address(), this);
    return this;
  }

  String address() {
    return "127.0.0.1:" + server.getPort();
  }

  @Override
  public void listImages(ListImagesRequest request, StreamObserver<ListImagesResponse> response) {
    response.onNext(ListImagesResponse.newBuilder().addAllImages(images).build());
    response.onCompleted();
  }

  @Override
  public void createContainer(CreateContainerRequest request, StreamObserver<Container> response) {
    String name = request.getSpec().getName();
    if (images.stream().noneMatch(i -> i.getAliasesList().contains(request.getSpec().getImage()))) {
      response.onError(Status.NOT_FOUND.withDescription("no image " + request.getSpec().getImage()).asRuntimeException());
      return;
    }
    Container c = Container.newBuilder().setSpec(request.getSpec()).setNetwork(request.getNetwork()).setState(request.getStart() ? ContainerState.CONTAINER_STATE_RUNNING : ContainerState.CONTAINER_STATE_STOPPED).build();
    if (containers.putIfAbsent(name, c) != null) {
      response.onError(Status.ALREADY_EXISTS.withDescription(name).asRuntimeException());
      return;
    }
    creates.incrementAndGet();
    reply(response, c);
  }

  @Override
  public void getContainer(ContainerRef request, StreamObserver<Container> response) {
    Container c = containers.get(request.getName());
    if (c == null) {
      response.onError(Status.NOT_FOUND.withDescription("no container " + request.getName()).asRuntimeException());
      return;
    }
    reply(response, c);
  }

  @Override
  public void listContainers(ListContainersRequest request, StreamObserver<ListContainersResponse> response) {
    response.onNext(ListContainersResponse.newBuilder().addAllContainers(containers.values()).build());
    response.onCompleted();
  }

  @Override
  public void startContainer(StartContainerRequest request, StreamObserver<Container> response) {
    String prefix = failStartsWith;
    if (prefix != null && request.getName().startsWith(prefix)) {
      response.onError(Status.INTERNAL.withDescription("runc: exec failed").asRuntimeException());
      return;
    }
    setState(request.getName(), ContainerState.CONTAINER_STATE_RUNNING, response);
  }

  @Override
  public void stopContainer(StopContainerRequest request, StreamObserver<Container> response) {
    setState(request.getName(), request.getStateful() ? ContainerState.CONTAINER_STATE_CHECKPOINTED : ContainerState.CONTAINER_STATE_STOPPED, response);
  }

  @Override
  public void restartContainer(StopContainerRequest request, StreamObserver<Container> response) {
    setState(request.getName(), ContainerState.CONTAINER_STATE_RUNNING, response);
  }

  @Override
  public void freezeContainer(ContainerRef request, StreamObserver<Container> response) {
    setState(request.getName(), ContainerState.CONTAINER_STATE_FROZEN, response);
  }

  @Override
  public void unfreezeContainer(ContainerRef request, StreamObserver<Container> response) {
    setState(request.getName(), ContainerState.CONTAINER_STATE_RUNNING, response);
  }

  @Override
  public void deleteContainer(DeleteContainerRequest request, StreamObserver<DeleteContainerResponse> response) {
    Container c = containers.get(request.getName());
    if (c == null) {
      response.onError(Status.NOT_FOUND.withDescription("no container " + request.getName()).asRuntimeException());
      return;
    }
    if (c.getState() == ContainerState.CONTAINER_STATE_RUNNING && !request.getForce()) {
      response.onError(Status.FAILED_PRECONDITION.withDescription(request.getName() + " is running").asRuntimeException());
      return;
    }
    containers.remove(request.getName());
    reply(response, DeleteContainerResponse.getDefaultInstance());
  }

  @Override
  public void updateLimits(io.ferry.proto.v1.UpdateLimitsRequest request, StreamObserver<Container> response) {
    Container c = containers.computeIfPresent(request.getName(), (n, old) -> old.toBuilder().setLimits(old.getLimits().toBuilder().mergeFrom(request.getLimits())).build());
    if (c == null) {
      response.onError(Status.NOT_FOUND.withDescription("no container " + request.getName()).asRuntimeException());
      return;
    }
    reply(response, c);
  }

  @Override
  public void copyContainer(CopyContainerRequest request, StreamObserver<Container> response) {
    Container source = containers.get(request.getSource());
    if (source == null) {
      response.onError(Status.NOT_FOUND.withDescription("no container " + request.getSource()).asRuntimeException());
      return;
    }
    Container copy = source.toBuilder().setSpec(source.getSpec().toBuilder().setName(request.getTarget())).setNetwork(request.getNetwork()).setState(ContainerState.CONTAINER_STATE_STOPPED).build();
    containers.put(request.getTarget(), copy);
    reply(response, copy);
  }

  @Override
  public void exec(ExecRequest request, StreamObserver<ExecOutput> response) {
    response.onNext(ExecOutput.newBuilder().setStdout(ByteString.copyFromUtf8(host + ":" + String.join(" ", request.getCommandList()) + "\n")).build());
    response.onNext(ExecOutput.newBuilder().setExitCode(0).build());
    response.onCompleted();
  }

  private void setState(String name, ContainerState state, StreamObserver<Container> response) {
    Container c = containers.computeIfPresent(name, (n, old) -> old.toBuilder().setState(state).build());
    if (c == null) {
      response.onError(Status.NOT_FOUND.withDescription("no container " + name).asRuntimeException());
      return;
    }
    reply(response, c);
  }

  private static <T> void reply(StreamObserver<T> response, T value) {
    response.onNext(value);
    response.onCompleted();
  }

  /** A host with a working CRIU that lacks soft-dirty tracking, like this machine. */
  @Override
  public void getHostInfo(GetHostInfoRequest request, StreamObserver<GetHostInfoResponse> response) {
    CriuInfo criu = CriuInfo.newBuilder().setAvailable(true).setCheckPassed(true).setVersion("4.2.1")
        .addFeatures(CriuFeature.newBuilder().setName("mem_dirty_track").setSupported(false).setDetail("no soft-dirty tracking"))
        .addFeatures(CriuFeature.newBuilder().setName("uffd-noncoop").setSupported(true))
        .build();
    reply(response, GetHostInfoResponse.newBuilder().setHost(HostInfo.newBuilder().setHostName(host).setCriu(criu)).build());
  }

  @Override
  public void close() {
    if (server != null) {
      FakeMigration.AGENTS.remove(address());
      server.shutdownNow();
    }
  }
}
