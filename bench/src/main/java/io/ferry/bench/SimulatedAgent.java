package io.ferry.bench;

import com.google.protobuf.Timestamp;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerRef;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.CreateContainerRequest;
import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.DeleteContainerResponse;
import io.ferry.proto.v1.Image;
import io.ferry.proto.v1.ListContainersRequest;
import io.ferry.proto.v1.ListContainersResponse;
import io.ferry.proto.v1.ListImagesRequest;
import io.ferry.proto.v1.ListImagesResponse;
import io.ferry.proto.v1.NetworkInfo;
import io.ferry.proto.v1.StartContainerRequest;
import io.ferry.proto.v1.StopContainerRequest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The agent API of one simulated host, answered from memory: the real {@code ferry.v1.AgentService}
 * protocol (so a coordinator cannot tell it from an agent) with nothing behind it. Images are a
 * fixed list; containers are map entries that move between states as asked; no process, mount or
 * network is made. Containers it reports look like a real agent's (image digest, limits, init pid,
 * an address and MAC, timestamps), so what the coordinator records of them has a realistic size.
 *
 * <p>Implements what a launch, a stop, a delete and the coordinator's upkeep call (list images,
 * create, get, list, start, stop, delete); everything else answers UNIMPLEMENTED, as the base class
 * does. Thread-safe: calls arrive on the shared server executor of {@link SimulatedHosts}.
 */
final class SimulatedAgent extends AgentServiceGrpc.AgentServiceImplBase {

  /** The image every simulated host holds. */
  static final String IMAGE_ALIAS = "busybox";

  private static final Image IMAGE =
      Image.newBuilder()
          .setDigest("sha256:" + "b".repeat(64))
          .addAliases(IMAGE_ALIAS)
          .setArchiveBytes(1_100_000)
          .setUnpackedBytes(2_400_000)
          .setFileCount(410)
          .setSource("bench")
          .build();

  private final String host;
  private final int hostIndex;
  private final Map<String, Container> containers = new ConcurrentHashMap<>();
  private final AtomicInteger nextAddress = new AtomicInteger(2);
  private final AtomicInteger nextPid = new AtomicInteger(1000);

  SimulatedAgent(String host, int hostIndex) {
    this.host = host;
    this.hostIndex = hostIndex;
  }

  String host() {
    return host;
  }

  /** How many containers this host holds now. */
  int containerCount() {
    return containers.size();
  }

  /** How many of its containers are running. */
  long runningCount() {
    return containers.values().stream().filter(c -> c.getState() == ContainerState.CONTAINER_STATE_RUNNING).count();
  }

  @Override
  public void listImages(ListImagesRequest request, StreamObserver<ListImagesResponse> response) {
    reply(response, ListImagesResponse.newBuilder().addImages(IMAGE).build());
  }

  @Override
  public void createContainer(CreateContainerRequest request, StreamObserver<Container> response) {
    String name = request.getSpec().getName();
    String image = request.getSpec().getImage();
    if (!image.equals(IMAGE_ALIAS) && !image.equals(IMAGE.getDigest())) {
      response.onError(Status.NOT_FOUND.withDescription("no image " + image + " on host " + host).asRuntimeException());
      return;
    }
    Timestamp now = now();
    int n = nextAddress.getAndIncrement();
    Container created =
        Container.newBuilder()
            .setSpec(request.getSpec())
            .setState(ContainerState.CONTAINER_STATE_STOPPED)
            .setDetail("created")
            .setImageDigest(IMAGE.getDigest())
            .setLimits(request.getSpec().getLimits())
            .setNetwork(
                NetworkInfo.newBuilder()
                    .setAddress(String.format(Locale.ROOT, "10.%d.%d.%d", 64 + hostIndex / 256, hostIndex % 256, n % 250 + 2))
                    .setPrefixLength(16)
                    .setGateway("10.64.0.1")
                    .setMac(String.format(Locale.ROOT, "02:fe:%02x:%02x:%02x:%02x", hostIndex / 256, hostIndex % 256, n / 256 % 256, n % 256)))
            .setCreatedAt(now)
            .setStateSince(now)
            .build();
    if (containers.putIfAbsent(name, created) != null) {
      response.onError(Status.ALREADY_EXISTS.withDescription("container " + name + " exists").asRuntimeException());
      return;
    }
    if (request.getStart()) {
      created = running(name, created);
    }
    reply(response, created);
  }

  @Override
  public void getContainer(ContainerRef request, StreamObserver<Container> response) {
    Container c = containers.get(request.getName());
    if (c == null) {
      response.onError(notFound(request.getName()));
      return;
    }
    reply(response, c);
  }

  @Override
  public void listContainers(ListContainersRequest request, StreamObserver<ListContainersResponse> response) {
    reply(response, ListContainersResponse.newBuilder().addAllContainers(List.copyOf(containers.values())).build());
  }

  @Override
  public void startContainer(StartContainerRequest request, StreamObserver<Container> response) {
    Container c = containers.get(request.getName());
    if (c == null) {
      response.onError(notFound(request.getName()));
      return;
    }
    reply(response, c.getState() == ContainerState.CONTAINER_STATE_RUNNING ? c : running(request.getName(), c));
  }

  @Override
  public void stopContainer(StopContainerRequest request, StreamObserver<Container> response) {
    Container c =
        containers.computeIfPresent(
            request.getName(),
            (n, old) -> old.toBuilder().setState(ContainerState.CONTAINER_STATE_STOPPED).setInitPid(0).setDetail("stopped by request").setStateSince(now()).build());
    if (c == null) {
      response.onError(notFound(request.getName()));
      return;
    }
    reply(response, c);
  }

  @Override
  public void deleteContainer(DeleteContainerRequest request, StreamObserver<DeleteContainerResponse> response) {
    Container c = containers.get(request.getName());
    if (c == null) {
      response.onError(notFound(request.getName()));
      return;
    }
    if (c.getState() == ContainerState.CONTAINER_STATE_RUNNING && !request.getForce()) {
      response.onError(Status.FAILED_PRECONDITION.withDescription(request.getName() + " is running").asRuntimeException());
      return;
    }
    containers.remove(request.getName());
    reply(response, DeleteContainerResponse.getDefaultInstance());
  }

  private Container running(String name, Container c) {
    Container started =
        c.toBuilder().setState(ContainerState.CONTAINER_STATE_RUNNING).setInitPid(nextPid.getAndIncrement()).setDetail("").setStateSince(now()).build();
    containers.put(name, started);
    return started;
  }

  private io.grpc.StatusRuntimeException notFound(String name) {
    return Status.NOT_FOUND.withDescription("no container " + name + " on host " + host).asRuntimeException();
  }

  private static Timestamp now() {
    long millis = System.currentTimeMillis();
    return Timestamp.newBuilder().setSeconds(millis / 1000).setNanos((int) (millis % 1000) * 1_000_000).build();
  }

  private static <T> void reply(StreamObserver<T> response, T value) {
    response.onNext(value);
    response.onCompleted();
  }
}
