package io.ferry.it.cluster;

import static org.awaitility.Awaitility.await;

import io.ferry.cli.client.ImageUpload;
import io.ferry.common.process.Command;
import io.ferry.common.security.zookeeper.ZooKeeperTls;
import io.ferry.coordinator.config.CoordinatorConfig.EmbeddedZooKeeperConfig;
import io.ferry.coordinator.store.EmbeddedZooKeeper;
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

/**
 * A whole Ferry cluster on this machine, every part a real process: a ZooKeeper server, {@code N}
 * coordinators and {@code M} agents (real runc), the agents joining through Helix. Each agent runs
 * in its own simulated host ({@link SimulatedHosts}: a network namespace on an underlay bridge,
 * its API bound on its underlay address), and all agents serve the same container subnet (the
 * coordinators' default, {@code 10.100.0.0/16}) joined by the VXLAN overlay, as real hosts of one
 * cluster would. Built for the cluster ITs: kill a coordinator, ask every agent what it runs, dump
 * everything when a test fails.
 *
 * <p>Security as in production: the coordinators serve mutual TLS only with a cluster CA ({@link
 * TestPki} in the test directory, the coordinators' {@code security.dir}); every agent gets its
 * host certificate through the real join flow ({@code HostService.AddHost} as admin, then the
 * agent started with {@code join.token} against c1's join endpoint on the underlay gateway); the
 * test talks to everything as admin.
 *
 * <p>{@link #close()} removes everything it made (processes, containers, mounts, namespaces,
 * links, the bridge and its FORWARD rule) and goes on past failures.
 */
final class LocalCluster implements AutoCloseable {

  static final Path REPO = Path.of(System.getProperty("maven.multiModuleProjectDirectory", "..")).toAbsolutePath().normalize();
  static final Path AGENT_JAR = REPO.resolve("agent/target/ferry-agent.jar");
  static final Path COORDINATOR_JAR = REPO.resolve("coordinator/target/ferry-coordinator.jar");

  /** One agent's settings beyond the defaults. */
  record AgentSpec(String host, Map<String, String> settings) {}

  private final String cluster;
  private final Path dir;
  private final EmbeddedZooKeeper zookeeper;
  private final Map<String, DaemonProcess> coordinators = new LinkedHashMap<>();
  private final Map<String, Integer> coordinatorPorts = new LinkedHashMap<>();
  private final Map<String, DaemonProcess> agents = new LinkedHashMap<>();
  private final Map<String, Integer> agentPorts = new LinkedHashMap<>();
  private final Map<String, ManagedChannel> channels = new LinkedHashMap<>();
  private final SimulatedHosts network;
  private final io.ferry.common.security.TestPki pki;
  private final io.ferry.common.security.ClusterTls admin;
  private final Map<String, Integer> joinPorts = new LinkedHashMap<>();

  /** Agents' API port: each listens on its own host's address, so all use the same one. */
  static final int AGENT_PORT = 7701;

  /** @param index the cluster's network index (its underlay {@code 10.237.<index>.0/24}), unique per test class */
  LocalCluster(String cluster, Path dir, int index) throws Exception {
    this.cluster = cluster;
    this.dir = dir;
    this.network = new SimulatedHosts(index);
    this.pki = io.ferry.common.security.TestPki.in(dir.resolve("pki"));
    this.admin = pki.clientTls("admin", io.ferry.common.security.Role.ADMIN);
    try {
      network.start();
      // ZooKeeper as a cluster runs it: mutual TLS, the cluster's host identities only. This JVM
      // (the server and the test's own reads) uses a host certificate of the test CA.
      ZooKeeperTls.install(pki.hostTls("zookeeper", List.of(network.gateway())), dir.resolve("zookeeper-client"));
      this.zookeeper =
          new EmbeddedZooKeeper(new EmbeddedZooKeeperConfig(network.gateway(), 0, dir.resolve("zookeeper"), Duration.ofMillis(500)), true)
              .start();
    } catch (Exception e) {
      network.close();
      throw e;
    }
  }

  /**
   * The standard test cluster: coordinators {@code c1} and {@code c2}, agents {@code host-1..3} on
   * simulated hosts of underlay {@code index} (with {@code agentSettings} of each host's number),
   * all ready, with busybox imported everywhere and known to both coordinators.
   */
  static LocalCluster startStandard(String name, Path dir, int index, java.util.function.IntFunction<Map<String, String>> agentSettings) throws Exception {
    LocalCluster cluster = new LocalCluster(name, dir, index);
    try {
      cluster.startCoordinator("c1").startCoordinator("c2");
      for (int i = 1; i <= 3; i++) {
        cluster.startAgent("host-" + i, agentSettings.apply(i));
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
    return zookeeper.connectString();
  }

  LocalCluster startCoordinator(String id) throws IOException {
    int port = freePort();
    int joinPort = freePort();
    DaemonProcess process =
        new DaemonProcess(
                id,
                COORDINATOR_JAR,
                List.of(
                    "cluster.name=" + cluster,
                    "coordinator.id=" + id,
                    "listen.port=" + port,
                    "metrics.port=0",
                    "zookeeper.connect=" + zookeeper.connectString(),
                    "zookeeper.session-timeout=4s",
                    "sync.interval=2s",
                    "images.spool-dir=" + dir.resolve(id + "-spool"),
                    "security.dir=" + pki.directory(),
                    "join.address=" + network.gateway(),
                    "join.port=" + joinPort),
                dir.resolve(id + ".log"))
            .start();
    coordinators.put(id, process);
    coordinatorPorts.put(id, port);
    joinPorts.put(id, joinPort);
    return this;
  }

  /**
   * Starts an agent joining the cluster on a new simulated host {@code host-N} (N from 1 to 9):
   * its network namespace and underlay address first, then the agent in it, with the overlay on.
   * {@code extra} settings win over the defaults.
   */
  LocalCluster startAgent(String host, Map<String, String> extra) throws IOException {
    if (!agentPorts.containsKey(host)) {
      network.add(host, Integer.parseInt(host.substring(host.indexOf('-') + 1)));
      agentPorts.put(host, AGENT_PORT);
    }
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("host.name", host);
    settings.put("listen.address", network.address(host));
    settings.put("listen.port", Integer.toString(AGENT_PORT));
    settings.put("metrics.port", "0");
    settings.put("state.dir", dir.resolve(host).toString());
    settings.put("network.overlay.enabled", "true");
    settings.put("network.netns-prefix", netnsPrefix(host));
    settings.put("cluster.zookeeper", network.gateway() + ":" + zookeeper.port());
    settings.put("cluster.name", cluster);
    settings.put("cluster.session.timeout", "4s");
    // The simulated hosts share this machine's cgroups: a container moving from one to another
    // must not find its own frozen source in the cgroup it is restored into.
    settings.put("runtime.cgroup-parent", "/ferry-" + cluster + "-" + host);
    if (!io.ferry.common.security.ClusterTls.hostFilesIn(dir.resolve(host).resolve("security"))) {
      settings.put("join.token", joinToken(host));
      settings.put("join.coordinator", network.gateway() + ":" + joinPorts.values().iterator().next());
    }
    settings.putAll(extra);
    List<String> argv = new ArrayList<>();
    settings.forEach((k, v) -> argv.add(k + "=" + v));
    DaemonProcess process = new DaemonProcess(host, AGENT_JAR, argv, dir.resolve(host + ".log"), network.enter(host)).start();
    agents.put(host, process);
    return this;
  }

  /** A join token for {@code host} from the first coordinator that answers, as {@code ferry host add} gets one. */
  private String joinToken(String host) {
    String[] token = new String[1];
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
      for (String id : coordinators.keySet()) {
        if (!coordinators.get(id).isAlive()) {
          throw new IllegalStateException("coordinator " + id + " exited:\n" + coordinators.get(id).logTail(40));
        }
      }
      String id = coordinators.keySet().iterator().next();
      token[0] = HostServiceGrpc.newBlockingStub(coordinatorChannel(id)).withDeadlineAfter(5, TimeUnit.SECONDS)
          .addHost(io.ferry.proto.v1.AddHostRequest.newBuilder().setName(host).build()).getJoinToken();
      return true;
    });
    return token[0];
  }

  /** The admin's mutual-TLS material, for clients the tests make themselves (the CLI). */
  io.ferry.common.security.ClusterTls admin() {
    return admin;
  }

  /** The agent's container netns prefix: unique to this cluster index, so no other test's cleanup touches it. */
  private String netnsPrefix(String host) {
    return network.namespace(host) + ".";
  }

  /** The simulated hosts' network, for tests that look at the overlay. */
  SimulatedHosts network() {
    return network;
  }

  DaemonProcess agent(String host) {
    return agents.get(host);
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
    return channels.computeIfAbsent("c:" + id, k -> NettyChannelBuilder.forAddress("127.0.0.1", coordinatorPorts.get(id), admin.channelCredentials()).build());
  }

  ManagedChannel agentChannel(String host) {
    return channels.computeIfAbsent("a:" + host, k -> NettyChannelBuilder.forAddress(network.address(host), agentPorts.get(host), admin.channelCredentials()).build());
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
  /** The hosts whose agent reports {@code name} running, sorted (every host is asked). */
  List<String> hostsRunning(String name) {
    return containersByHost().entrySet().stream()
        .filter(e -> e.getValue().stream().anyMatch(c -> c.getSpec().getName().equals(name) && c.getState() == io.ferry.proto.v1.ContainerState.CONTAINER_STATE_RUNNING))
        .map(Map.Entry::getKey)
        .sorted()
        .toList();
  }

  java.util.Optional<String> leaderId() {
    try (CuratorFramework zk = CuratorFrameworkFactory.newClient(zookeeper.connectString(), new RetryOneTime(100))) {
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
    try (CuratorFramework zk = CuratorFrameworkFactory.newClient(zookeeper.connectString(), new RetryOneTime(100))) {
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
    try {
      out.append(network.dump());
    } catch (RuntimeException e) {
      out.append("(cannot dump the simulated hosts: ").append(e).append(")\n");
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

  /**
   * Stops everything and removes what the cluster made on this machine, going on past failures
   * (each is reported on stderr): processes first (SIGKILL), then each host's containers (runc),
   * mounts and container namespaces, then the simulated hosts, then ZooKeeper.
   */
  @Override
  public void close() throws Exception {
    channels.values().forEach(ManagedChannel::shutdownNow);
    for (DaemonProcess p : coordinators.values()) {
      attempt("kill " + p.name(), p::kill);
    }
    for (DaemonProcess p : agents.values()) {
      attempt("kill " + p.name(), p::kill);
    }
    // The agents' containers outlive the agent by design: remove them with runc directly.
    for (String host : agentPorts.keySet()) {
      Path state = dir.resolve(host);
      attempt("containers of " + host, () -> Command.of("bash", "-c", "for c in $(runc --root " + state.resolve("runc") + " list -q 2>/dev/null); do runc --root " + state.resolve("runc") + " delete -f $c; done")
          .timeout(Duration.ofSeconds(60)).run());
      attempt("mounts of " + host, () -> Command.of("bash", "-c", "grep ' " + state + "/' /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l").timeout(Duration.ofSeconds(30)).run());
      String prefix = netnsPrefix(host);
      attempt("container netns of " + host, () -> Command.of("bash", "-c", "for n in $(ip netns list | awk -v p='" + prefix + "' 'index($1, p) == 1 { print $1 }'); do ip netns del $n; done").timeout(Duration.ofSeconds(30)).run());
    }
    attempt("simulated hosts", network::close);
    attempt("zookeeper", zookeeper::close);
  }

  private interface Step {
    void run() throws Exception;
  }

  private static void attempt(String what, Step step) {
    try {
      step.run();
    } catch (Exception | Error e) {
      System.err.println("LocalCluster.close: cannot clean up " + what + ": " + e);
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
