package io.ferry.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.ClusterContainer;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.CreateContainerRequest;
import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.GetContainerRequest;
import io.ferry.proto.v1.InitKind;
import io.ferry.proto.v1.LaunchResponse;
import io.ferry.proto.v1.Limits;
import io.ferry.proto.v1.NetworkInfo;
import io.ferry.proto.v1.Operation;
import io.ferry.proto.v1.OperationState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster network on real hosts' worth of parts: ZooKeeper, two coordinators and three agents
 * each in its own network namespace (a simulated host on an underlay bridge), real runc, every
 * agent's bridge serving the one cluster subnet, joined by the kernel's VXLAN. Containers get
 * distinct cluster addresses from the coordinator, reach each other across hosts by address, a
 * host that joins later is added to every flood list (and removed when it leaves), and a container
 * re-created on another host with the same address and MAC is found there at once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(DumpOnFailure.class)
class ClusterNetworkIT implements DumpOnFailure.HasCluster {

  @TempDir static Path dir;
  private LocalCluster cluster;

  @Override
  public LocalCluster cluster() {
    return cluster;
  }

  @BeforeAll
  void startCluster() throws Exception {
    cluster = LocalCluster.startStandard("net", dir, 40, host -> Map.of());
  }

  @AfterAll
  void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void containersOnDifferentHostsGetDistinctClusterAddressesAndReachEachOther() {
    ClusterClient client = new ClusterClient(cluster.coordinatorChannel("c1"));
    for (int i = 1; i <= 3; i++) {
      LaunchResponse launched = client.containers().launch(ClusterClient.busybox("box-" + i, 32, 50).toBuilder().setTargetHost("host-" + i).build());
      Operation done = client.follow(launched.getOperation());
      assertThat(done.getState()).as(done.getError()).isEqualTo(OperationState.OPERATION_STATE_SUCCEEDED);
    }
    Set<String> addresses = new HashSet<>();
    for (int i = 1; i <= 3; i++) {
      ClusterContainer got = client.containers().get(GetContainerRequest.newBuilder().setName("box-" + i).build());
      assertThat(got.getHost()).isEqualTo("host-" + i);
      assertThat(got.getNetwork().getAddress()).startsWith("10.100.");
      assertThat(got.getNetwork().getPrefixLength()).isEqualTo(16);
      assertThat(got.getNetwork().getGateway()).isEqualTo("10.100.0.1");
      assertThat(got.getNetwork().getMac()).startsWith("0a:58:");
      assertThat(got.getContainer().getNetwork().getAddress()).as("the host plumbed what the cluster gave").isEqualTo(got.getNetwork().getAddress());
      addresses.add(got.getNetwork().getAddress());
    }
    assertThat(addresses).hasSize(3);

    String onHost2 = address("box-2");
    String onHost3 = address("box-3");
    assertThat(ping("host-1", "box-1", onHost2, Duration.ofSeconds(20))).as("host-1 -> host-2 over the overlay").isTrue();
    assertThat(ping("host-3", "box-3", address("box-1"), Duration.ofSeconds(20))).as("host-3 -> host-1").isTrue();
    assertThat(ping("host-2", "box-2", onHost3, Duration.ofSeconds(20))).as("host-2 -> host-3").isTrue();
    assertThat(exec("host-2", "box-2", "cat", "/sys/class/net/eth0/mtu").output().strip()).as("room for VXLAN's headers").isEqualTo("1450");
  }

  @Test
  @Order(2)
  void aHostThatJoinsLaterIsInEveryFloodListAndLeavesThemWhenItGoes() throws Exception {
    SimulatedHosts hosts = cluster.network();
    List<String> first = List.of("host-1", "host-2", "host-3");
    for (String host : first) {
      List<String> others = first.stream().filter(h -> !h.equals(host)).map(hosts::address).toList();
      assertThat(hosts.floodPeers(host)).as(host + "'s flood list").containsExactlyInAnyOrderElementsOf(others);
    }

    cluster.startAgent("host-4", Map.of());
    String added = hosts.address("host-4");
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
      for (String host : first) {
        assertThat(hosts.floodPeers(host)).as(host + "'s flood list").contains(added);
      }
      assertThat(hosts.floodPeers("host-4")).as("host-4's own").containsExactlyInAnyOrderElementsOf(first.stream().map(hosts::address).toList());
    });

    cluster.agent("host-4").stop(); // a clean stop leaves the cluster at once
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
      for (String host : first) {
        assertThat(hosts.floodPeers(host)).as(host + "'s flood list").doesNotContain(added).hasSize(2);
      }
    });
  }

  @Test
  @Order(3)
  void aContainerRecreatedOnAnotherHostWithItsAddressAndMacIsReachedThereAtOnce() {
    // An identity outside what the coordinator hands out first, given straight to the agents, as a
    // migration does.
    NetworkInfo identity =
        NetworkInfo.newBuilder().setAddress("10.100.200.7").setMac("0a:58:0a:64:c8:07").setPrefixLength(16).setGateway("10.100.0.1").build();
    create("host-1", "mover", identity);
    assertThat(ping("host-3", "box-3", "10.100.200.7", Duration.ofSeconds(20))).as("host-3 reaches it on host-1").isTrue();
    assertThat(cluster.network().remoteOf("host-3", "0a:58:0a:64:c8:07")).isEqualTo(cluster.network().address("host-1"));

    AgentServiceGrpc.newBlockingStub(cluster.agentChannel("host-1")).withDeadlineAfter(60, TimeUnit.SECONDS)
        .deleteContainer(DeleteContainerRequest.newBuilder().setName("mover").setForce(true).build());
    long recreated = System.nanoTime();
    create("host-2", "mover", identity);

    // The agent announced it as it created it, so host-3's overlay sends its MAC to host-2 at once
    // (busybox's own IPv6 autoconfiguration also speaks up within a second; a container without
    // IPv6 that sends nothing relies on the announcement alone, which OverlayIT and
    // ContainerManagerTest check; without either, host-3 would keep sending to host-1 until its
    // forwarding entry aged out, 300 s).
    await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20)).untilAsserted(() ->
        assertThat(cluster.network().remoteOf("host-3", "0a:58:0a:64:c8:07")).isEqualTo(cluster.network().address("host-2")));
    assertThat(ping("host-3", "box-3", "10.100.200.7", Duration.ofSeconds(5))).as("host-3 reaches it on host-2").isTrue();
    System.out.printf("re-created container reachable from a third host %.0f ms after its create was sent%n", (System.nanoTime() - recreated) / 1e6);
  }

  private void create(String host, String name, NetworkInfo identity) {
    AgentServiceGrpc.newBlockingStub(cluster.agentChannel(host)).withDeadlineAfter(60, TimeUnit.SECONDS)
        .createContainer(CreateContainerRequest.newBuilder()
            .setSpec(ContainerSpec.newBuilder()
                .setName(name)
                .setImage("busybox")
                .setInit(InitKind.INIT_KIND_GENERIC)
                .addAllCommand(List.of("/bin/sh", "-c", "while true; do sleep 1; done"))
                .setLimits(Limits.newBuilder().setMemoryBytes(32L << 20)))
            .setNetwork(identity)
            .setStart(true)
            .build());
    assertThat(AgentServiceGrpc.newBlockingStub(cluster.agentChannel(host)).withDeadlineAfter(30, TimeUnit.SECONDS)
            .getContainer(io.ferry.proto.v1.ContainerRef.newBuilder().setName(name).build()))
        .satisfies(c -> {
          assertThat(c.getState()).isEqualTo(ContainerState.CONTAINER_STATE_RUNNING);
          assertThat(c.getNetwork().getAddress()).isEqualTo(identity.getAddress());
          assertThat(c.getNetwork().getMac()).isEqualTo(identity.getMac());
        });
  }

  private String address(String container) {
    return new ClusterClient(cluster.coordinatorChannel("c1")).containers().get(GetContainerRequest.newBuilder().setName(container).build())
        .getNetwork().getAddress();
  }

  /** Pings {@code target} from inside {@code container} until one answer comes back or the deadline passes. */
  private boolean ping(String host, String container, String target, Duration deadline) {
    long end = System.nanoTime() + deadline.toNanos();
    ContainerShell.Exec last = null;
    while (System.nanoTime() < end) {
      last = exec(host, container, "ping", "-c", "1", "-W", "1", target);
      if (last.exitCode() == 0) {
        return true;
      }
    }
    System.err.println("ping " + target + " from " + container + " on " + host + " kept failing; last: " + last);
    return false;
  }

  private ContainerShell.Exec exec(String host, String container, String... command) {
    return ContainerShell.exec(cluster.agentChannel(host), container, command);
  }
}
