package io.ferry.it.multihost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.it.cluster.ClusterClient;
import io.ferry.proto.v1.ClusterContainer;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.GetContainerRequest;
import io.ferry.proto.v1.HostState;
import io.ferry.proto.v1.LaunchRequest;
import io.ferry.proto.v1.ListHostsRequest;
import io.ferry.proto.v1.Operation;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bench/run.sh failover} (issue 7): on the multi-host Docker harness with a 3 s ZooKeeper
 * session, how long after a host is killed its HA container runs on the standby (p50 and max over
 * {@code ferry.bench.rounds} kills), beside the floor no failover can beat in the same run: the
 * time until the cluster sees the host gone (its session expiring); and how long after the leading
 * coordinator is killed a write is accepted again ({@code ferry.bench.leader-rounds} kills).
 *
 * <p>Not an {@code *IT}: CI does not run it. The figures go to {@code
 * target/failover-benchmark.txt} as {@code key=value} lines, which the script prints.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(DumpClusterOnFailure.class)
class FailoverBenchmark implements DumpClusterOnFailure.HasCluster {

  private static final Logger log = LoggerFactory.getLogger(FailoverBenchmark.class);
  private static final Duration SESSION = Duration.ofSeconds(3);
  private static final List<String> HOSTS = List.of("host-1", "host-2", "host-3");

  private MultiHostCluster cluster;
  private ClusterClient client;

  @Override
  public MultiHostCluster cluster() {
    return cluster;
  }

  @AfterAll
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void measure() throws Exception {
    int rounds = Integer.getInteger("ferry.bench.rounds", 5);
    int leaderRounds = Integer.getInteger("ferry.bench.leader-rounds", 3);
    List<Double> failover = new ArrayList<>();
    List<Double> offline = new ArrayList<>();
    List<Double> leader = new ArrayList<>();
    cluster = MultiHostCluster.start("fb", MultiHostCluster.testDirectory("fb"), 2, 3, SESSION);
    client = cluster.client();
    for (int r = 0; r < rounds; r++) {
      String host = HOSTS.get(r % HOSTS.size());
      String name = "fo-" + r;
      String standby = launchHa(name, host);
      long killed = System.nanoTime();
      cluster.killHost(host);
      double[] seenGone = {-1};
      await(name + " running on " + standby).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
        if (seenGone[0] < 0 && hostState(host) != HostState.HOST_STATE_ONLINE) {
          seenGone[0] = seconds(killed);
        }
        return cluster.hostsRunning(name).equals(List.of(standby));
      });
      failover.add(seconds(killed));
      offline.add(seenGone[0] < 0 ? seconds(killed) : seenGone[0]);
      log.info("round {}: {} killed; seen gone after {} s, {} running on {} after {} s", r, host, offline.get(r), name, standby, failover.get(r));
      cluster.reviveHost(host);
      cluster.awaitHostsOnline(HOSTS.size(), Duration.ofSeconds(90));
      delete(name);
    }
    for (int l = 0; l < leaderRounds; l++) {
      long killed = System.nanoTime();
      String id = cluster.killLeaderCoordinator();
      client = cluster.client();
      String name = "leader-" + l;
      await("a write accepted after the death of leader " + id).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
          .until(() -> accepted(name));
      leader.add(seconds(killed));
      log.info("leader round {}: {} killed; a write accepted after {} s", l, id, leader.get(l));
      cluster.reviveCoordinator(id);
      await("coordinator " + id + " serving again").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
          .until(() -> io.ferry.proto.v1.HostServiceGrpc.newBlockingStub(cluster.coordinatorChannel(id))
              .withDeadlineAfter(5, java.util.concurrent.TimeUnit.SECONDS).listHosts(ListHostsRequest.getDefaultInstance()) != null);
      delete(name);
    }
    List<String> lines = List.of(
        "session_timeout_s=" + format(SESSION.toMillis() / 1000.0),
        "rounds=" + rounds,
        "host_failover_p50_s=" + format(percentile(failover, 50)),
        "host_failover_max_s=" + format(Collections.max(failover)),
        "host_seen_gone_p50_s=" + format(percentile(offline, 50)),
        "host_seen_gone_max_s=" + format(Collections.max(offline)),
        "leader_rounds=" + leaderRounds,
        "leader_failover_p50_s=" + format(percentile(leader, 50)),
        "leader_failover_max_s=" + format(Collections.max(leader)));
    Path out = Path.of("target", "failover-benchmark.txt");
    Files.writeString(out, String.join("\n", lines) + "\n");
    lines.forEach(l -> log.info("figure {}", l));
    assertThat(failover).hasSize(rounds);
  }

  /** Launches an HA busybox on {@code host}; returns its standby once it has a replica there. */
  private String launchHa(String name, String host) {
    LaunchRequest plain = ClusterClient.busybox(name, 32, 50);
    Operation done = client.follow(client.containers().launch(
        plain.toBuilder().setSpec(plain.getSpec().toBuilder().setHa(true)).setTargetHost(host).build()).getOperation());
    assertThat(ClusterClient.ended(done)).isTrue();
    await(name + " replicated").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
      ClusterContainer c = container(name);
      return c.getContainer().getState() == ContainerState.CONTAINER_STATE_RUNNING && c.getHa().hasReplicaAt();
    });
    return container(name).getHa().getStandbyHost();
  }

  /** True once a coordinator with a leader accepted the launch of {@code name}; each try waits at most 5 s, as a client would. */
  private boolean accepted(String name) {
    try {
      client.containers().withDeadlineAfter(5, java.util.concurrent.TimeUnit.SECONDS).launch(ClusterClient.busybox(name, 32, 50));
      return true;
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.UNAVAILABLE || e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED) {
        return false;
      }
      if (e.getStatus().getCode() == Status.Code.ALREADY_EXISTS) {
        return true; // an earlier try was accepted after its deadline passed
      }
      throw e;
    }
  }

  /** Deletes {@code name} if the cluster still has it (a launch that failed after being accepted leaves nothing). */
  private void delete(String name) {
    try {
      client.follow(client.containers().delete(DeleteContainerRequest.newBuilder().setName(name).setForce(true).build()));
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
        throw e;
      }
    }
  }

  private ClusterContainer container(String name) {
    return client.containers().get(GetContainerRequest.newBuilder().setName(name).build());
  }

  private HostState hostState(String host) {
    return io.ferry.proto.v1.HostServiceGrpc.newBlockingStub(cluster.coordinatorChannel(cluster.liveCoordinator()))
        .withDeadlineAfter(5, java.util.concurrent.TimeUnit.SECONDS)
        .listHosts(ListHostsRequest.getDefaultInstance()).getHostsList().stream()
        .filter(h -> h.getName().equals(host)).map(io.ferry.proto.v1.Host::getState).findFirst().orElse(HostState.HOST_STATE_UNSPECIFIED);
  }

  private static double seconds(long sinceNanos) {
    return (System.nanoTime() - sinceNanos) / 1e9;
  }

  private static double percentile(List<Double> values, int p) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }

  private static String format(double value) {
    return String.format(Locale.ROOT, "%.2f", value);
  }
}
