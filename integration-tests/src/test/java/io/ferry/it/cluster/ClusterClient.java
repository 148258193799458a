package io.ferry.it.cluster;

import static org.awaitility.Awaitility.await;

import io.ferry.proto.v1.ContainerServiceGrpc;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.GetOperationRequest;
import io.ferry.proto.v1.ImageServiceGrpc;
import io.ferry.proto.v1.InitKind;
import io.ferry.proto.v1.LaunchRequest;
import io.ferry.proto.v1.Limits;
import io.ferry.proto.v1.ListClusterImagesRequest;
import io.ferry.proto.v1.Operation;
import io.ferry.proto.v1.OperationServiceGrpc;
import io.ferry.proto.v1.OperationState;
import io.grpc.Channel;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A plain gRPC client of the public API, as a script would write it. */
public final class ClusterClient {

  private final Channel channel;

  public ClusterClient(Channel channel) {
    this.channel = channel;
  }

  public ContainerServiceGrpc.ContainerServiceBlockingStub containers() {
    return ContainerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  public OperationServiceGrpc.OperationServiceBlockingStub operations() {
    return OperationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
  }

  /** A launch of a busybox container whose init loops forever. */
  public static LaunchRequest busybox(String name, long memoryMiB, long cpuMillis) {
    return LaunchRequest.newBuilder()
        .setSpec(
            ContainerSpec.newBuilder()
                .setName(name)
                .setImage("busybox")
                .setInit(InitKind.INIT_KIND_GENERIC)
                .addAllCommand(List.of("/bin/sh", "-c", "while true; do sleep 1; done"))
                .setLimits(Limits.newBuilder().setMemoryBytes(memoryMiB << 20)))
        .setCpuMillis(cpuMillis)
        .setDiskBytes(64L << 20)
        .build();
  }

  /** Follows an operation to its end with WatchOperation and returns its last state. */
  public Operation follow(Operation operation) {
    Iterator<Operation> updates = operations().watchOperation(GetOperationRequest.newBuilder().setId(operation.getId()).build());
    Operation last = operation;
    while (updates.hasNext()) {
      last = updates.next();
    }
    return last;
  }

  public static boolean ended(Operation op) {
    return op.getState() != OperationState.OPERATION_STATE_RUNNING && op.getState() != OperationState.OPERATION_STATE_UNSPECIFIED;
  }

  /** Waits until every host's image list, as the coordinator knows it, has {@code alias}. */
  public void awaitImageEverywhere(String alias, int hosts, Duration deadline) {
    await().atMost(deadline).pollInterval(Duration.ofMillis(200)).until(() ->
        ImageServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).listImages(ListClusterImagesRequest.getDefaultInstance()).getImagesList().stream()
            .anyMatch(i -> i.getImage().getAliasesList().contains(alias) && i.getHostsCount() == hosts));
  }
}
