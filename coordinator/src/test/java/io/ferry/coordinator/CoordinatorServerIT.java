package io.ferry.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.coordinator.config.CoordinatorConfig;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A coordinator with its embedded ZooKeeper, on loopback, as the quickstart runs it. */
class CoordinatorServerIT {

  @Test
  void servesHealthOnlyWhileConnectedAndAnnouncesItself(@TempDir Path dir) throws Exception {
    int zkPort = freePort();
    CoordinatorConfig config =
        CoordinatorConfig.load(
            dir.resolve("absent"),
            Map.of(
                "listen.port", "0",
                "metrics.port", "0",
                "zookeeper.embedded.port", String.valueOf(zkPort),
                "zookeeper.embedded.data-dir", dir.resolve("zk").toString(),
                "coordinator.id", "coordinator-7",
                "security.dir", io.ferry.coordinator.it.TestCerts.securityDir().toString(),
                "join.port", "0"));

    try (CoordinatorServer server = new CoordinatorServer(config).start()) {
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port(), io.ferry.coordinator.it.TestCerts.admin().channelCredentials()).build();
      try {
        var health = HealthGrpc.newBlockingStub(channel);
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> health.check(HealthCheckRequest.getDefaultInstance()).getStatus() == ServingStatus.SERVING);
        assertThat(server.session().liveCoordinators()).containsExactly("coordinator-7");

        // Alone, it leads; its metrics say so and time the API calls it served.
        await().atMost(Duration.ofSeconds(30)).until(server::isLeader);
        io.ferry.proto.v1.HostServiceGrpc.newBlockingStub(channel).listHosts(io.ferry.proto.v1.ListHostsRequest.getDefaultInstance());
        java.net.http.HttpResponse<String> scrape =
            java.net.http.HttpClient.newHttpClient()
                .send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + server.metricsPort() + "/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.body())
            .contains("ferry_coordinator_leader{coordinator=\"coordinator-7\"} 1.0")
            .contains("ferry_cluster_hosts{coordinator=\"coordinator-7\",state=\"online\"} 0.0")
            .containsPattern("ferry_coordinator_api_seconds_count\\{code=\"OK\",coordinator=\"coordinator-7\",method=\"ferry.v1.HostService/ListHosts\"\\} 1");
      } finally {
        channel.shutdownNow();
      }
    }

    // A restarted coordinator reuses the same ZooKeeper data directory and port; its previous
    // session's presence node went with that session.
    try (CoordinatorServer again = new CoordinatorServer(config).start()) {
      assertThat(again.session().liveCoordinators()).containsExactly("coordinator-7");
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
