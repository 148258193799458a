package io.ferry.coordinator.it;

import static io.ferry.coordinator.it.FakeCluster.MIB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.proto.v1.ClusterContainer;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.GetContainerRequest;
import io.ferry.proto.v1.LaunchRequest;
import io.ferry.proto.v1.Limits;
import io.ferry.proto.v1.ListClusterContainersRequest;
import io.ferry.proto.v1.Operation;
import io.ferry.proto.v1.OperationState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A container whose host goes offline is reported HOST_LOST, is not recreated anywhere else, and
 * shows its host's report again once the host is back.
 */
class HostLostIT {

  @TempDir Path dir;
  private FakeCluster cluster;

  @BeforeEach
  void startCluster() throws Exception {
    cluster = FakeCluster.start(dir);
  }

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  @Test
  void aContainerOfAnOfflineHostIsHostLostUntilTheHostComesBack() throws Exception {
    Operation launched = cluster.follow(0, cluster.containers(0).launch(LaunchRequest.newBuilder()
        .setSpec(ContainerSpec.newBuilder().setName("orphan").setImage("busybox").setLimits(Limits.newBuilder().setMemoryBytes(64 * MIB)))
        .setCpuMillis(100).setTargetHost("host-3").build()).getOperation());
    assertThat(launched.getState()).as(launched.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    await().atMost(Duration.ofSeconds(10)).until(() -> get().getContainer().getState() == ContainerState.CONTAINER_STATE_RUNNING);

    cluster.host("host-3").disconnect();

    await().atMost(Duration.ofSeconds(20)).until(() -> get().getContainer().getState() == ContainerState.CONTAINER_STATE_HOST_LOST);
    ClusterContainer lost = get();
    assertThat(lost.getHost()).isEqualTo("host-3");
    assertThat(lost.getContainer().getDetail()).contains("host-3 is offline").contains("running");
    assertThat(cluster.containers(1).list(ListClusterContainersRequest.newBuilder().setState(ContainerState.CONTAINER_STATE_HOST_LOST).build())
        .getContainersList()).extracting(c -> c.getContainer().getSpec().getName()).containsExactly("orphan");
    for (String other : List.of("host-1", "host-2")) {
      assertThat(cluster.host(other).agent.containers).as("recreated on %s", other).doesNotContainKey("orphan");
    }

    cluster.host("host-3").rejoin();

    await().atMost(Duration.ofSeconds(20)).until(() -> get().getContainer().getState() == ContainerState.CONTAINER_STATE_RUNNING);
    assertThat(get().getHost()).isEqualTo("host-3");
  }

  private ClusterContainer get() {
    return cluster.containers(1).get(GetContainerRequest.newBuilder().setName("orphan").build());
  }
}
