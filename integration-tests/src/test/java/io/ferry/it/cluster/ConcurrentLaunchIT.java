package io.ferry.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.Host;
import io.ferry.proto.v1.HostServiceGrpc;
import io.ferry.proto.v1.LaunchResponse;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Twenty launches at once, through both coordinators, against hosts with room for exactly ten
 * (memory capacities of 4, 3 and 3 containers): exactly ten are placed and run, ten are refused
 * with RESOURCE_EXHAUSTED, and no host is over capacity.
 */
@ExtendWith(DumpOnFailure.class)
class ConcurrentLaunchIT implements DumpOnFailure.HasCluster {

  private static final long MIB = 1 << 20;

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
  void twentyConcurrentLaunchesForTenPlacesPlaceExactlyTen() throws Exception {
    int[] places = {4, 3, 3};
    cluster = LocalCluster.startStandard("capacity", dir, 30, host -> Map.of("capacity.memory", (places[host - 1] * 64) + "MiB"));

    Map<String, Operation> placed = new ConcurrentHashMap<>();
    Map<String, String> refused = new ConcurrentHashMap<>();
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService clients = Executors.newFixedThreadPool(20);
    List<Future<?>> calls = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String name = "load-" + i;
      String via = cluster.coordinatorIds().get(i % 2);
      calls.add(clients.submit(() -> {
        go.await();
        try {
          LaunchResponse r = new ClusterClient(cluster.coordinatorChannel(via)).containers().launch(ClusterClient.busybox(name, 64, 100));
          placed.put(name, r.getOperation());
        } catch (StatusRuntimeException e) {
          assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
          refused.put(name, e.getStatus().getDescription());
        }
        return null;
      }));
    }
    go.countDown();
    for (Future<?> f : calls) {
      f.get(2, TimeUnit.MINUTES);
    }
    clients.shutdown();
    assertThat(placed).hasSize(10);
    assertThat(refused).hasSize(10);
    assertThat(refused.values()).allSatisfy(why -> assertThat(why).contains("memory"));

    ClusterClient client = new ClusterClient(cluster.coordinatorChannel("c1"));
    for (Operation op : placed.values()) {
      Operation ended = client.follow(op);
      assertThat(ended.getState()).as(ended.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    }
    List<Host> hosts = HostServiceGrpc.newBlockingStub(cluster.coordinatorChannel("c2")).listHosts(ListHostsRequest.getDefaultInstance()).getHostsList();
    assertThat(hosts).allSatisfy(h -> assertThat(h.getAllocatedMemoryBytes()).as(h.getName()).isLessThanOrEqualTo(h.getCapacityMemoryBytes()));
    assertThat(hosts.stream().mapToInt(Host::getContainers).sum()).isEqualTo(10);
    Map<String, Long> runningPerHost = new java.util.TreeMap<>();
    cluster.containersByHost().forEach((host, list) -> runningPerHost.put(host, list.stream().filter(c -> placed.containsKey(c.getSpec().getName())).count()));
    assertThat(runningPerHost).containsExactlyEntriesOf(new java.util.TreeMap<>(Map.of("host-1", 4L, "host-2", 3L, "host-3", 3L)));

    for (String name : placed.keySet()) {
      Operation deleted = client.follow(client.containers().delete(DeleteContainerRequest.newBuilder().setName(name).setForce(true).build()));
      assertThat(deleted.getState()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    }
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(HostServiceGrpc.newBlockingStub(cluster.coordinatorChannel("c1")).listHosts(ListHostsRequest.getDefaultInstance()).getHostsList())
            .allSatisfy(h -> assertThat(h.getContainers()).isZero()));
  }
}
