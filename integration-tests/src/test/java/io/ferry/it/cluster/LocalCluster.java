package io.ferry.it.cluster;

import static org.awaitility.Awaitility.await;

import io.ferry.cli.client.ImageUpload;
import io.ferry.common.process.Command;
import io.ferry.it.LocalImages;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.HostServiceGrpc;
import io.ferry.proto.v1.HostState;
import io.ferry.proto.v1.ListContainersRequest;
import io.ferry.proto.v1.ListHostsRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;

/**
 * A whole Ferry cluster on this machine, every part a real process: a ZooKeeper server, {@code N}
 * coordinators and {@code M} agents (real runc, each agent with its own bridge, subnet, state
 * directory and ports), the agents joining through Helix. Built for the cluster ITs: kill a
 * coordinator, ask every agent what it runs, dump everything when a test fails.
 */
final class LocalCluster implements AutoCloseable {

  static final Path REPO = Path.of(System.getProperty("maven.multiModuleProjectDirectory", "..")).toAbsolutePath().normalize();
  static final Path AGENT_JAR = REPO.resolve("agent/target/ferry-agent.jar");
  static final Path COORDINATOR_JAR = REPO.resolve("coordinator/target/ferry-coordinator.jar");

  /** One agent's settings beyond the defaults. */
  record AgentSpec(String host, Map<String, String> settings) {}

  private final String cluster;
  private final Path dir;
  private final TestingServer zookeeper;
  private final Map<String, DaemonProcess> coordinators = new LinkedHashMap<>();
  private final Map<String, Integer> coordinatorPorts = new LinkedHashMap<>();
  private final Map<String, DaemonProcess> agents = new LinkedHashMap<>();
  private final Map<String, Integer> agentPorts = new LinkedHashMap<>();
  private final Map<String, ManagedChannel> channels = new LinkedHashMap<>();
  private final List<String> bridges = new ArrayList<>();

  LocalCluster(String cluster, Path dir) throws Exception {
    this.cluster = cluster;
    this.dir = dir;
    this.zookeeper = new TestingServer(true);
  }

  /**
   * The standard test cluster: coordinators {@code c1} and {@code c2}, agents {@code host-1..3}
   * (bridge and subnet indexes {@code firstIndex..firstIndex+2}, with {@code agentSettings} of
   * each host's number), all ready, with busybox imported everywhere and known to both
   * coordinators.
   */
  static LocalCluster startStandard(String name, Path dir, int firstIndex, java.util.function.IntFunction<Map<String, String>> agentSettings) throws Exception {
    LocalCluster cluster = new LocalCluster(name, dir);
    try {
      cluster.startCoordinator("c1").startCoordinator("c2");
      for (int i = 1; i <= 3; i++) {
        cluster.startAgent("host-" + i, firstIndex + i - 1, agentSettings.apply(i));
      }
      cluster.awaitReady(Duration.ofSeconds(180));
      cluster.importBusybox();
      for (String id : cluster.coordinatorIds()) {
        new ClusterClient(cluster.coordinatorChannel(id)).awaitImageEverywhere("busybox", 3, Duration.ofSeconds(30));
      }
      return cluster;
    } catch (Exception | AssertionError e) {
      cluster.close();
      throw e;
    }
  }

  String zookeeperConnect() {
    return zookeeper.getConnectString();
  }

  LocalCluster startCoordinator(String id) throws IOException {
    int port = freePort();
    DaemonProcess process =
        new DaemonProcess(
                id,
                COORDINATOR_JAR,
                List.of(
                    "cluster.name=" + cluster,
                    "coordinator.id=" + id,
                    "listen.port=" + port,
                    "metrics.port=0",
                    "zookeeper.connect=" + zookeeper.getConnectString(),
                    "zookeeper.session-timeout=4s",
                    "sync.interval=2s",
                    "images.spool-dir=" + dir.resolve(id + "-spool")),
                dir.resolve(id + ".log"))
            .start();
    coordinators.put(id, process);
    coordinatorPorts.put(id, port);
    return this;
  }

  /** Starts an agent joining the cluster; {@code index} picks its bridge and subnet. */
  LocalCluster startAgent(String host, int index, Map<String, String> extra) throws IOException {
    int port = agentPorts.computeIfAbsent(host, h -> freePort());
    String bridge = "fit" + cluster.hashCode() % 1000 + "x" + index;
    bridge = bridge.replace("-", "");
    bridges.add(bridge);
    List<String> settings =
        new ArrayList<>(
            List.of(
                "host.name=" + host,
                "listen.port=" + port,
                "metrics.port=0",
                "state.dir=" + dir.resolve(host),
                "network.bridge=" + bridge,
                "network.subnet=10.234." + index + ".0/24",
                "cluster.zookeeper=" + zookeeper.getConnectString(),
                "cluster.name=" + cluster,
                "cluster.session.timeout=4s"));
    extra.forEach((k, v) -> settings.add(k + "=" + v));
    DaemonProcess process = new DaemonProcess(host, AGENT_JAR, settings, dir.resolve(host + ".log")).start();
    agents.put(host, process);
    return this;
  }

  /** Waits until every agent is online in the cluster's view and holds {@code images}. */
  void awaitReady(Duration deadline) {
    try {
      awaitReadyOrThrow(deadline);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("the cluster did not come up within " + deadline + ": " + e.getMessage() + "\n" + dump(), e);
    }
  }

  private void awaitReadyOrThrow(Duration deadline) {
    await().atMost(deadline).pollInterval(Duration.ofMillis(200)).ignoreExceptions().untilAsserted(() -> {
      for (DaemonProcess p : coordinators.values()) {
        if (!p.isAlive()) {
          throw new IllegalStateException("coordinator " + p.name() + " exited:\n" + p.logTail(40));
        }
      }
      for (DaemonProcess p : agents.values()) {
        if (!p.isAlive()) {
          throw new IllegalStateException("agent " + p.name() + " exited:\n" + p.logTail(40));
        }
      }
      for (String id : coordinators.keySet()) {
        long online =
            HostServiceGrpc.newBlockingStub(coordinatorChannel(id)).withDeadlineAfter(5, TimeUnit.SECONDS).listHosts(ListHostsRequest.getDefaultInstance()).getHostsList().stream()
                .filter(h -> h.getState() == HostState.HOST_STATE_ONLINE)
                .count();
        if (online != agents.size()) {
          throw new AssertionError(id + " sees " + online + " of " + agents.size() + " hosts online");
        }
      }
    });
  }

  /** Imports the busybox image on every agent, straight to the agent. */
  void importBusybox() throws Exception {
    Path tarball = LocalImages.tarball("busybox");
    for (String host : agents.keySet()) {
      ImageUpload.upload(AgentServiceGrpc.newStub(agentChannel(host)), tarball, List.of("busybox"), Duration.ofMinutes(2), sent -> {});
    }
  }

  ManagedChannel coordinatorChannel(String id) {
    return channels.computeIfAbsent("c:" + id, k -> NettyChannelBuilder.forAddress("127.0.0.1", coordinatorPorts.get(id)).usePlaintext().build());
  }

  ManagedChannel agentChannel(String host) {
    return channels.computeIfAbsent("a:" + host, k -> NettyChannelBuilder.forAddress("127.0.0.1", agentPorts.get(host)).usePlaintext().build());
  }

  String coordinatorAddress(String id) {
    return "127.0.0.1:" + coordinatorPorts.get(id);
  }

  /** Every coordinator's address, comma-separated, as the CLI's {@code --coordinator} takes them. */
  String coordinatorAddresses() {
    return String.join(",", coordinatorPorts.keySet().stream().map(this::coordinatorAddress).toList());
  }

  List<String> coordinatorIds() {
    return List.copyOf(coordinators.keySet());
  }

  List<String> hosts() {
    return List.copyOf(agents.keySet());
  }

  DaemonProcess coordinator(String id) {
    return coordinators.get(id);
  }

  /** What each agent runs, asked directly: host to its containers. */
  Map<String, List<Container>> containersByHost() {
    Map<String, List<Container>> all = new LinkedHashMap<>();
    for (String host : agents.keySet()) {
      all.put(host, AgentServiceGrpc.newBlockingStub(agentChannel(host)).withDeadlineAfter(30, TimeUnit.SECONDS).listContainers(ListContainersRequest.getDefaultInstance()).getContainersList());
    }
    return all;
  }

  /**
   * The coordinator Helix made controller leader, read from ZooKeeper ({@code
   * /ferry-CLUSTER/CONTROLLER/LEADER}, whose record id is the coordinator's id); empty when none.
   */
  java.util.Optional<String> leaderId() {
    try (CuratorFramework zk = CuratorFrameworkFactory.newClient(zookeeper.getConnectString(), new RetryOneTime(100))) {
      zk.start();
      zk.blockUntilConnected(5, TimeUnit.SECONDS);
      String json = new String(zk.getData().forPath("/ferry-" + cluster + "/CONTROLLER/LEADER"), java.nio.charset.StandardCharsets.UTF_8);
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"").matcher(json);
      return m.find() ? java.util.Optional.of(m.group(1)) : java.util.Optional.empty();
    } catch (org.apache.zookeeper.KeeperException.NoNodeException e) {
      return java.util.Optional.empty();
    } catch (Exception e) {
      throw new IllegalStateException("cannot read the leader", e);
    }
  }

  /** Everything a reader needs when a test failed: the ZooKeeper tree, each agent's containers, logs. */
  String dump() {
    StringBuilder out = new StringBuilder("==== cluster " + cluster + " ====\n");
    try (CuratorFramework zk = CuratorFrameworkFactory.newClient(zookeeper.getConnectString(), new RetryOneTime(100))) {
      zk.start();
      zk.blockUntilConnected(5, TimeUnit.SECONDS);
      tree(zk, "/ferry/" + cluster, out, 0);
    } catch (Exception e) {
      out.append("(cannot read ZooKeeper: ").append(e).append(")\n");
    }
    try {
      containersByHost().forEach((host, list) -> out.append("agent ").append(host).append(": ")
          .append(list.stream().map(c -> c.getSpec().getName() + "=" + c.getState()).toList()).append('\n'));
    } catch (RuntimeException e) {
      out.append("(cannot ask the agents: ").append(e).append(")\n");
    }
    coordinators.values().forEach(p -> out.append("---- ").append(p.name()).append(" log ----\n").append(p.logTail(60)).append('\n'));
    agents.values().forEach(p -> out.append("---- ").append(p.name()).append(" log ----\n").append(p.logTail(40)).append('\n'));
    return out.toString();
  }

  private static void tree(CuratorFramework zk, String path, StringBuilder out, int depth) throws Exception {
    byte[] data = zk.getData().forPath(path);
    String text = data == null ? "" : new String(data, java.nio.charset.StandardCharsets.UTF_8);
    out.append("  ".repeat(depth)).append(path.substring(path.lastIndexOf('/') + 1)).append(text.isEmpty() ? "" : " = " + (text.length() > 200 ? text.substring(0, 200) + "..." : text)).append('\n');
    for (String child : zk.getChildren().forPath(path)) {
      tree(zk, path + "/" + child, out, depth + 1);
    }
  }

  @Override
  public void close() throws Exception {
    channels.values().forEach(ManagedChannel::shutdownNow);
    for (DaemonProcess p : coordinators.values()) {
      p.kill();
    }
    for (DaemonProcess p : agents.values()) {
      p.kill();
    }
    // The agents' containers outlive the agent by design: remove them with runc directly.
    for (String host : agents.keySet()) {
      Path state = dir.resolve(host);
      Command.of("bash", "-c", "for c in $(runc --root " + state.resolve("runc") + " list -q 2>/dev/null); do runc --root " + state.resolve("runc") + " delete -f $c; done")
          .timeout(Duration.ofSeconds(60)).run();
      Command.of("bash", "-c", "grep ' " + state + "/' /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l").timeout(Duration.ofSeconds(30)).run();
      Command.of("bash", "-c", "for n in $(ip netns list | awk '{print $1}' | grep '^fc-" + host + "\\.'); do ip netns del $n; done").timeout(Duration.ofSeconds(30)).run();
    }
    for (String bridge : bridges) {
      Command.of("ip", "link", "del", bridge).timeout(Duration.ofSeconds(10)).run();
    }
    zookeeper.close();
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
