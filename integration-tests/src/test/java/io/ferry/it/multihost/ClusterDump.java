package io.ferry.it.multihost;

import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.ContainerServiceGrpc;
import io.ferry.proto.v1.HostServiceGrpc;
import io.ferry.proto.v1.ListClusterContainersRequest;
import io.ferry.proto.v1.ListContainersRequest;
import io.ferry.proto.v1.ListHostsRequest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;

/**
 * The text {@link MultiHostCluster#dump()} prints for a failed test: Docker's view of every node
 * (running, paused, exited), Ferry's ZooKeeper tree ({@code /ferry/CLUSTER}, four levels) with
 * Helix's live instances and controller leader, the coordinators' view of hosts and containers,
 * each agent's own list of containers, then the tail of every daemon's log. Each part is best
 * effort with short deadlines (5 s a call): a part that cannot be had says why, and the rest
 * still prints, so a dump of a half-dead cluster is still useful.
 */
final class ClusterDump {

  private static final int COORDINATOR_LOG_LINES = 60;
  private static final int AGENT_LOG_LINES = 40;
  private static final int ZOOKEEPER_LOG_LINES = 15;

  private ClusterDump() {}

  static String of(MultiHostCluster cluster) {
    String name = cluster.name();
    StringBuilder out = new StringBuilder("==== multi-host cluster " + name + " ====\n");
    part(out, "docker", () -> {
      StringBuilder s = new StringBuilder();
      MultiHostCluster.docker().listContainersCmd().withShowAll(true).withLabelFilter(Map.of(MultiHostCluster.LABEL, name)).exec()
          .forEach(c -> s.append(String.join(",", c.getNames())).append(": ").append(c.getState()).append(" (").append(c.getStatus()).append(")\n"));
      return s.toString();
    });
    part(out, "zookeeper tree", () -> {
      StringBuilder s = new StringBuilder();
      try (CuratorFramework zk = cluster.zookeeperClient()) {
        tree(zk, "/ferry/" + name, s, 0, 4);
        tree(zk, "/ferry-" + name + "/LIVEINSTANCES", s, 0, 1);
        tree(zk, "/ferry-" + name + "/CONTROLLER/LEADER", s, 0, 0);
      }
      return s.toString();
    });
    part(out, "hosts (coordinator view)", () -> {
      StringBuilder s = new StringBuilder();
      HostServiceGrpc.newBlockingStub(cluster.coordinatorChannel(cluster.liveCoordinator())).withDeadlineAfter(5, TimeUnit.SECONDS)
          .listHosts(ListHostsRequest.getDefaultInstance()).getHostsList()
          .forEach(h -> s.append(h.getName()).append(' ').append(h.getState()).append('\n'));
      return s.toString();
    });
    part(out, "containers (coordinator view)", () -> {
      StringBuilder s = new StringBuilder();
      ContainerServiceGrpc.newBlockingStub(cluster.coordinatorChannel(cluster.liveCoordinator())).withDeadlineAfter(5, TimeUnit.SECONDS)
          .list(ListClusterContainersRequest.getDefaultInstance()).getContainersList()
          .forEach(c -> s.append(c.getContainer().getSpec().getName()).append(" on ").append(c.getHost()).append(' ')
              .append(c.getContainer().getState()).append(" (desired ").append(c.getDesiredState()).append(")\n"));
      return s.toString();
    });
    for (String host : cluster.hosts()) {
      part(out, "agent " + host + " containers", () -> {
        StringBuilder s = new StringBuilder();
        AgentServiceGrpc.newBlockingStub(cluster.agentChannel(host)).withDeadlineAfter(5, TimeUnit.SECONDS)
            .listContainers(ListContainersRequest.getDefaultInstance()).getContainersList()
            .forEach(c -> s.append(c.getSpec().getName()).append('=').append(c.getState()).append('\n'));
        return s.toString();
      });
    }
    cluster.coordinatorNodes().values().forEach(c ->
        out.append("---- ").append(c.id()).append(" log ----\n").append(c.logTail(COORDINATOR_LOG_LINES)).append('\n'));
    cluster.hostNodes().values().forEach(h ->
        out.append("---- ").append(h.name()).append(" agent log ----\n").append(h.agentLogTail(AGENT_LOG_LINES)).append('\n'));
    out.append(cluster.zookeeper().logTails(ZOOKEEPER_LOG_LINES));
    return out.toString();
  }

  private interface Part {
    String get() throws Exception;
  }

  private static void part(StringBuilder out, String title, Part part) {
    out.append("---- ").append(title).append(" ----\n");
    try {
      out.append(part.get());
    } catch (Exception | Error e) {
      out.append("(cannot: ").append(e).append(")\n");
    }
  }

  private static void tree(CuratorFramework zk, String path, StringBuilder out, int depth, int maxDepth) throws Exception {
    if (zk.checkExists().forPath(path) == null) {
      out.append("  ".repeat(depth)).append(path).append(" (absent)\n");
      return;
    }
    byte[] data = zk.getData().forPath(path);
    String text = data == null ? "" : new String(data, StandardCharsets.UTF_8).replace('\n', ' ');
    out.append("  ".repeat(depth)).append(depth == 0 ? path : path.substring(path.lastIndexOf('/') + 1))
        .append(text.isEmpty() ? "" : " = " + (text.length() > 200 ? text.substring(0, 200) + "..." : text)).append('\n');
    if (depth < maxDepth) {
      for (String child : zk.getChildren().forPath(path)) {
        tree(zk, path + "/" + child, out, depth + 1, maxDepth);
      }
    }
  }
}
