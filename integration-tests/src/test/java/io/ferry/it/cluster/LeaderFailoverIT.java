package io.ferry.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.proto.v1.ClusterContainer;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.GetOperationRequest;
import io.ferry.proto.v1.HostServiceGrpc;
import io.ferry.proto.v1.LaunchResponse;
import io.ferry.proto.v1.ListClusterContainersRequest;
import io.ferry.proto.v1.ListHostsRequest;
import io.ferry.proto.v1.Operation;
import io.ferry.proto.v1.OperationState;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The leading coordinator is killed with SIGKILL in the middle of a burst of launches. Clients
 * fail over to the other coordinator. Every launch that was acknowledged (an operation id came
 * back) must end running on exactly one host; a launch whose answer was lost in the crash may
 * exist or not, but never twice; no host is over capacity.
 */
@ExtendWith(DumpOnFailure.class)
class LeaderFailoverIT implements DumpOnFailure.HasCluster {

  private static final int LAUNCHES = 24;

  @TempDir Path dir;
  private LocalCluster cluster;

  @Override
  public LocalCluster cluster() {
    return cluster;
  }

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void killingTheLeaderDuringABurstLosesNoAcknowledgedLaunch() throws Exception {
    cluster = LocalCluster.startStandard("failover", dir, 21, host -> Map.of());
    await().atMost(Duration.ofSeconds(30)).until(() -> cluster.leaderId().isPresent());
    String leader = cluster.leaderId().orElseThrow();
    String survivor = cluster.coordinatorIds().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();

    Map<String, String> acknowledged = new ConcurrentHashMap<>();
    AtomicInteger acknowledgedAfterKill = new AtomicInteger();
    java.util.concurrent.atomic.AtomicBoolean killed = new java.util.concurrent.atomic.AtomicBoolean();
    AtomicInteger refusedForGood = new AtomicInteger();
    CountDownLatch someAcknowledged = new CountDownLatch(6);
    ExecutorService clients = Executors.newFixedThreadPool(4);
    List<Future<?>> done = new ArrayList<>();
    for (int i = 0; i < LAUNCHES; i++) {
      String name = "burst-" + i;
      done.add(clients.submit(() -> {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int attempt = 0;
        while (System.nanoTime() < deadline) {
          String via = cluster.coordinatorIds().get(attempt++ % 2);
          try {
            LaunchResponse response = new ClusterClient(cluster.coordinatorChannel(via)).containers().launch(ClusterClient.busybox(name, 32, 50));
            acknowledged.put(name, response.getOperation().getId());
            if (killed.get()) {
              acknowledgedAfterKill.incrementAndGet();
            }
            someAcknowledged.countDown();
            return;
          } catch (StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            if (code == Status.Code.ALREADY_EXISTS) {
              return; // An earlier attempt was recorded but its answer was lost in the crash.
            }
            if (code != Status.Code.UNAVAILABLE && code != Status.Code.DEADLINE_EXCEEDED && code != Status.Code.ABORTED) {
              refusedForGood.incrementAndGet();
              return;
            }
          }
        }
      }));
    }
    assertThat(someAcknowledged.await(60, TimeUnit.SECONDS)).isTrue();
    long killedAt = System.nanoTime();
    cluster.coordinator(leader).kill();
    killed.set(true);
    await().atMost(Duration.ofSeconds(20)).until(() -> cluster.leaderId().filter(survivor::equals).isPresent());
    double failoverSeconds = (System.nanoTime() - killedAt) / 1e9;
    System.out.printf("leader %s killed; %s leads after %.2f s%n", leader, survivor, failoverSeconds);
    for (Future<?> f : done) {
      f.get(120, TimeUnit.SECONDS);
    }
    clients.shutdown();
    assertThat(refusedForGood).hasValue(0);
    assertThat(acknowledgedAfterKill.get()).as("the burst went on through the failover").isPositive();
    System.out.printf("%d launches acknowledged, %d of them after the kill%n", acknowledged.size(), acknowledgedAfterKill.get());
    assertThat(acknowledged).isNotEmpty();

    ClusterClient client = new ClusterClient(cluster.coordinatorChannel(survivor));
    for (Map.Entry<String, String> ack : acknowledged.entrySet()) {
      Operation ended = await().atMost(Duration.ofSeconds(90)).until(
          () -> client.operations().getOperation(GetOperationRequest.newBuilder().setId(ack.getValue()).build()), ClusterClient::ended);
      assertThat(ended.getState()).as(ack.getKey() + ": " + ended.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    }

    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      List<ClusterContainer> listed = client.containers().list(ListClusterContainersRequest.getDefaultInstance()).getContainersList();
      Map<String, List<String>> hostsByName = new java.util.HashMap<>();
      cluster.containersByHost().forEach((host, containers) -> containers.forEach(c -> {
        if (c.getState() == ContainerState.CONTAINER_STATE_RUNNING) {
          hostsByName.computeIfAbsent(c.getSpec().getName(), n -> new ArrayList<>()).add(host);
        }
      }));
      for (String name : acknowledged.keySet()) {
        assertThat(hostsByName.get(name)).as(name + " runs on exactly one host").hasSize(1);
        assertThat(listed).filteredOn(c -> c.getContainer().getSpec().getName().equals(name)).singleElement()
            .satisfies(c -> assertThat(c.getHost()).isEqualTo(hostsByName.get(name).get(0)));
      }
      hostsByName.forEach((name, hosts) -> assertThat(hosts).as(name + " never runs twice").hasSize(1));
    });
    HostServiceGrpc.newBlockingStub(cluster.coordinatorChannel(survivor)).listHosts(ListHostsRequest.getDefaultInstance()).getHostsList()
        .forEach(h -> {
          assertThat(h.getAllocatedMemoryBytes()).as(h.getName()).isLessThanOrEqualTo(h.getCapacityMemoryBytes());
          assertThat(h.getAllocatedCpuMillis()).as(h.getName()).isLessThanOrEqualTo(h.getCapacityCpuMillis());
        });
  }
}
