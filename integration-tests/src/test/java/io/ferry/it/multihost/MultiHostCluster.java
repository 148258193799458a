package io.ferry.it.multihost;

import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.Network.Ipam;
import io.ferry.cli.client.ImageUpload;
import io.ferry.common.process.Command;
import io.ferry.common.process.CommandResult;
import io.ferry.common.security.ClusterTls;
import io.ferry.common.security.Role;
import io.ferry.common.security.TestPki;
import io.ferry.common.security.zookeeper.ZooKeeperTls;
import io.ferry.it.LocalImages;
import io.ferry.it.cluster.ClusterClient;
import io.ferry.proto.v1.AddHostRequest;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.HostServiceGrpc;
import io.ferry.proto.v1.HostState;
import io.ferry.proto.v1.ListContainersRequest;
import io.ferry.proto.v1.ListHostsRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Network;

/**
 * A Ferry cluster of real machines, simulated with Docker on this one: a ZooKeeper ensemble of
 * three ({@link ZooKeeperEnsemble}), coordinators {@code c1..} ({@link CoordinatorNode}) and hosts
 * {@code host-1..} ({@link HostNode}, each a {@link io.ferry.it.FerryHostContainer} running one
 * agent with real runc and CRIU), every node a container with a fixed address on one Docker
 * network ({@link #SUBNET}; addresses are constants, never discovered). The test JVM reaches every
 * node directly on that network from this machine.
 *
 * <p>Security as in production (and as {@code LocalCluster}): a test CA ({@link TestPki}) is the
 * coordinators' {@code security.dir}; each agent gets its host certificate through the join flow
 * ({@code HostService.AddHost} as admin, then {@code join.token} and {@code join.coordinator});
 * the test talks to everything as admin over mutual TLS.
 *
 * <p>Fault injection: {@link #killHost}, {@link #pauseHost}/{@link #unpauseHost}, {@link
 * #disconnectHost}/{@link #reconnectHost}, {@link #isolateFromZooKeeper}/{@link
 * #healFromZooKeeper}, {@link #restartAgent}, {@link #killZooKeeper}/{@link #startZooKeeper},
 * {@link #killLeaderCoordinator}. {@link #dump()} describes everything for a failed test.
 *
 * <p>One cluster at a time per machine: the subnet and the network's name are fixed. {@link
 * #start} first removes what a crashed earlier run may have left (containers labelled {@link
 * #LABEL}, the network). {@link #close()} removes every container and the network, going on past
 * failures. Not thread-safe: one test thread drives it.
 */
public final class MultiHostCluster implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(MultiHostCluster.class);

  /** The harness network: fixed, so every node's address is a constant. */
  public static final String SUBNET = "10.238.0.0/24";
  static final String SUBNET_PREFIX = "10.238.0.";
  static final String GATEWAY = SUBNET_PREFIX + "1";
  static final String NETWORK_NAME = "ferry-multihost";
  /** Label on every container the harness makes (its value: the cluster's name). */
  static final String LABEL = "io.ferry.it.multihost";

  static final int COORDINATOR_PORT = 7700;
  static final int AGENT_PORT = 7701;
  static final int JOIN_PORT = 7702;
  static final Duration SESSION_TIMEOUT = Duration.ofSeconds(4);
  /** How often HA containers' replicas are refreshed here (30 s in production): tests wait for passes. */
  static final Duration HA_REPLICA_INTERVAL = Duration.ofSeconds(2);

  static final Path REPO = Path.of(System.getProperty("maven.multiModuleProjectDirectory", "..")).toAbsolutePath().normalize();
  static final Path AGENT_JAR = REPO.resolve("agent/target/ferry-agent.jar");
  static final Path COORDINATOR_JAR = REPO.resolve("coordinator/target/ferry-coordinator.jar");

  /** Address of ZooKeeper server {@code i} (1..3). */
  static String zookeeperAddress(int i) {
    return SUBNET_PREFIX + (10 + i);
  }

  /** Address of coordinator {@code c<i>} (1..9). */
  static String coordinatorAddress(int i) {
    return SUBNET_PREFIX + (20 + i);
  }

  /** Address of host {@code host-<n>} (1..99). */
  static String hostAddress(int n) {
    return SUBNET_PREFIX + (100 + n);
  }

  private final String cluster;
  private final String image;
  private final Network network;
  private final ZooKeeperEnsemble zookeeper;
  private final TestPki pki;
  private final ClusterTls admin;
  private final Map<String, CoordinatorNode> coordinators = new LinkedHashMap<>();
  private final Map<String, HostNode> hosts = new LinkedHashMap<>();
  private final Map<String, Map<String, String>> agentSettings = new LinkedHashMap<>();
  private final Map<String, ManagedChannel> channels = new LinkedHashMap<>();
  /** Agents the harness killed (a restart in progress, or their host killed). */
  private final Set<String> agentsDown = new HashSet<>();
  private final Set<String> killedCoordinators = new HashSet<>();
  private final Duration sessionTimeout;
  /** Hosts the harness killed, paused or cut off: not asked for their containers. */
  private final Set<String> unreachable = new HashSet<>();

  private MultiHostCluster(String cluster, Path dir, int coordinatorCount, int hostCount, Duration sessionTimeout) throws IOException {
    this.sessionTimeout = sessionTimeout;
    if (coordinatorCount < 1 || coordinatorCount > 9 || hostCount < 1 || hostCount > 99) {
      throw new IllegalArgumentException("1..9 coordinators and 1..99 hosts, not " + coordinatorCount + " and " + hostCount);
    }
    this.cluster = cluster;
    removeLeftovers();
    this.image = FerryHostImage.ensure(REPO);
    this.pki = TestPki.in(dir.resolve("pki"));
    this.admin = pki.clientTls("admin", Role.ADMIN);
    this.network = Network.builder()
        .driver("bridge")
        .createNetworkCmdModifier(cmd -> cmd.withName(NETWORK_NAME)
            .withIpam(new Ipam().withConfig(new Ipam.Config().withSubnet(SUBNET).withGateway(GATEWAY))))
        .build();
    String prefix = containerPrefix();
    // The harness reads ZooKeeper as the cluster's own processes do: mutual TLS, a host identity.
    ZooKeeperTls.install(pki.hostTls("harness", List.of()), dir.resolve("zookeeper-client"));
    this.zookeeper = new ZooKeeperEnsemble(image, network, prefix, cluster, dir, COORDINATOR_JAR, pki);
    for (int i = 1; i <= coordinatorCount; i++) {
      String id = "c" + i;
      coordinators.put(id, new CoordinatorNode(image, network, prefix + "-" + id, cluster, id, coordinatorAddress(i), dir, pki.directory(), COORDINATOR_JAR));
    }
    for (int n = 1; n <= hostCount; n++) {
      String name = "host-" + n;
      hosts.put(name, new HostNode(image, network, prefix + "-" + name, cluster, name, hostAddress(n), dir, AGENT_JAR));
    }
  }

  /**
   * A new, empty directory for cluster {@code name} under {@code integration-tests/target/multihost}
   * (what an earlier run left there is removed first). It outlives the test, so that the logs of a
   * failed run can still be read; {@code mvn clean} removes it.
   */
  public static Path testDirectory(String name) throws IOException {
    Path dir = REPO.resolve("integration-tests/target/multihost").resolve(name);
    if (Files.exists(dir)) {
      Command.of("rm", "-rf", "--one-file-system", dir.toString()).timeout(Duration.ofMinutes(2)).check();
    }
    return Files.createDirectories(dir);
  }

  /**
   * Starts a whole cluster and waits until it is ready: every host online in every coordinator's
   * view, busybox imported on every host and known to the coordinators.
   *
   * @param cluster the Ferry cluster's name (a DNS label)
   * @param dir a directory of the test: CA, logs, hosts' state, ZooKeeper data
   * @throws AssertionError with {@link #dump()} when the cluster does not form within the deadline
   */
  public static MultiHostCluster start(String cluster, Path dir, int coordinatorCount, int hostCount) throws Exception {
    return start(cluster, dir, coordinatorCount, hostCount, SESSION_TIMEOUT);
  }

  /** {@link #start(String, Path, int, int)} with another ZooKeeper session timeout for every process. */
  public static MultiHostCluster start(String cluster, Path dir, int coordinatorCount, int hostCount, Duration sessionTimeout) throws Exception {
    for (Path jar : List.of(AGENT_JAR, COORDINATOR_JAR)) {
      if (!Files.isRegularFile(jar)) {
        throw new IllegalStateException(jar + " is missing: package the modules first (mvn -o -q -DskipTests package)");
      }
    }
    MultiHostCluster c = new MultiHostCluster(cluster, dir, coordinatorCount, hostCount, sessionTimeout);
    try {
      c.startAll();
      return c;
    } catch (Exception | AssertionError e) {
      String dump = c.dump();
      c.close();
      throw new AssertionError("the multi-host cluster did not start: " + e + "\n" + dump, e);
    }
  }

  private void startAll() throws Exception {
    long start = System.nanoTime();
    zookeeper.start(Duration.ofSeconds(60));
    log.info("cluster {}: ZooKeeper quorum of {} after {} ms", cluster, ZooKeeperEnsemble.SIZE, millisSince(start));
    coordinators.values().forEach(CoordinatorNode::startContainer);
    hosts.values().forEach(HostNode::startContainer);
    for (CoordinatorNode c : coordinators.values()) {
      c.startProcess(coordinatorSettings(c));
    }
    for (HostNode host : hosts.values()) {
      Map<String, String> settings = new LinkedHashMap<>(host.ownSettings());
      settings.put("cluster.zookeeper", zookeeper.connectString());
      settings.put("cluster.name", cluster);
      settings.put("cluster.session.timeout", sessionTimeout.toMillis() + "ms");
      agentSettings.put(host.name(), settings);
      Map<String, String> first = new LinkedHashMap<>(settings);
      first.put("join.token", joinToken(host.name()));
      first.put("join.coordinator", coordinators.values().iterator().next().address() + ":" + JOIN_PORT);
      host.startAgent(first);
    }
    log.info("cluster {}: coordinators serving, agents starting after {} ms", cluster, millisSince(start));
    awaitHostsOnline(hosts.size(), Duration.ofSeconds(150));
    log.info("cluster {}: {} hosts online after {} ms", cluster, hosts.size(), millisSince(start));
    importBusybox();
    log.info("cluster {}: busybox on every host after {} ms", cluster, millisSince(start));
  }

  private static long millisSince(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
  }

  private Map<String, String> coordinatorSettings(CoordinatorNode c) {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("cluster.name", cluster);
    settings.put("coordinator.id", c.id());
    settings.put("listen.address", c.address());
    settings.put("listen.port", Integer.toString(COORDINATOR_PORT));
    settings.put("metrics.port", "0");
    settings.put("zookeeper.connect", zookeeper.connectString());
    settings.put("zookeeper.session-timeout", sessionTimeout.toMillis() + "ms");
    settings.put("sync.interval", "2s");
    settings.put("ha.replica-interval", HA_REPLICA_INTERVAL.toSeconds() + "s");
    settings.put("security.dir", pki.directory().toString());
    settings.put("join.address", c.address());
    settings.put("join.port", Integer.toString(JOIN_PORT));
    return settings;
  }

  /** A join token for {@code host} from the first live coordinator, as {@code ferry host add} gets one. */
  private String joinToken(String host) {
    String[] token = new String[1];
    RuntimeException[] last = new RuntimeException[1];
    try {
      await("a join token for " + host).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() -> {
        requireDaemonsAlive();
        try {
          token[0] = HostServiceGrpc.newBlockingStub(coordinatorChannel(liveCoordinator())).withDeadlineAfter(5, TimeUnit.SECONDS)
              .addHost(AddHostRequest.newBuilder().setName(host).build()).getJoinToken();
          return true;
        } catch (RuntimeException e) {
          last[0] = e;
          return false;
        }
      });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new IllegalStateException("no join token for " + host + " within 90 s; last error: " + last[0], e);
    }
    return token[0];
  }

  /**
   * Waits until every live coordinator sees {@code expected} hosts online.
   *
   * @throws org.awaitility.core.ConditionTimeoutException when they do not within {@code deadline},
   *     or at once when a daemon the harness did not kill has exited (with its log's tail)
   */
  public void awaitHostsOnline(int expected, Duration deadline) {
    await(expected + " hosts online").atMost(deadline).pollInterval(Duration.ofMillis(250)).ignoreExceptionsMatching(e -> !(e instanceof DaemonExited)).untilAsserted(() -> {
      requireDaemonsAlive();
      for (CoordinatorNode c : coordinators.values()) {
        if (!c.alive()) {
          continue;
        }
        long online = HostServiceGrpc.newBlockingStub(coordinatorChannel(c.id())).withDeadlineAfter(5, TimeUnit.SECONDS)
            .listHosts(ListHostsRequest.getDefaultInstance()).getHostsList().stream()
            .filter(h -> h.getState() == HostState.HOST_STATE_ONLINE)
            .count();
        if (online != expected) {
          throw new AssertionError(c.id() + " sees " + online + " of " + expected + " hosts online");
        }
      }
    });
  }

  /** A daemon exited that nobody killed: waiting longer cannot help. */
  static final class DaemonExited extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    DaemonExited(String message) {
      super(message);
    }
  }

  private void requireDaemonsAlive() {
    for (CoordinatorNode c : coordinators.values()) {
      if (!c.alive() && !killedCoordinators.contains(c.id())) {
        throw new DaemonExited("coordinator " + c.id() + " exited:\n" + c.logTail(40));
      }
    }
    for (HostNode h : hosts.values()) {
      if (h.agentStarted() && !h.agentAlive() && !agentsDown.contains(h.name())) {
        throw new DaemonExited("agent " + h.name() + " exited:\n" + h.agentLogTail(40));
      }
    }
  }

  /** Imports busybox on every host (straight to each agent) and waits until every coordinator knows. */
  private void importBusybox() throws Exception {
    Path tarball = LocalImages.tarball("busybox");
    for (String host : hosts.keySet()) {
      ImageUpload.upload(AgentServiceGrpc.newStub(agentChannel(host)), tarball, List.of("busybox"), Duration.ofMinutes(2), sent -> {});
    }
    for (String id : coordinators.keySet()) {
      new ClusterClient(coordinatorChannel(id)).awaitImageEverywhere("busybox", hosts.size(), Duration.ofSeconds(60));
    }
  }

  // ---- access ----

  public String name() {
    return cluster;
  }

  public List<String> hosts() {
    return List.copyOf(hosts.keySet());
  }

  public List<String> coordinatorIds() {
    return List.copyOf(coordinators.keySet());
  }

  /** A client of the first coordinator still alive. */
  public ClusterClient client() {
    return new ClusterClient(coordinatorChannel(liveCoordinator()));
  }

  /** The id of the first coordinator the harness has not killed and whose process runs. */
  public String liveCoordinator() {
    return coordinators.values().stream().filter(CoordinatorNode::alive).map(CoordinatorNode::id).findFirst()
        .orElseThrow(() -> new IllegalStateException("no coordinator is alive"));
  }

  public ManagedChannel coordinatorChannel(String id) {
    CoordinatorNode c = require(coordinators, id, "coordinator");
    return channels.computeIfAbsent("c:" + id, k -> NettyChannelBuilder.forAddress(c.address(), COORDINATOR_PORT, admin.channelCredentials()).build());
  }

  public ManagedChannel agentChannel(String host) {
    HostNode h = require(hosts, host, "host");
    return channels.computeIfAbsent("a:" + host, k -> NettyChannelBuilder.forAddress(h.address(), AGENT_PORT, admin.channelCredentials()).build());
  }

  /** ZooKeeper's connect string (every server), for tests that read ZooKeeper themselves. */
  public String zookeeperConnect() {
    return zookeeper.connectString();
  }

  /** The address of host {@code host} on the harness network. */
  public String addressOf(String host) {
    return require(hosts, host, "host").address();
  }

  /**
   * What each reachable host's agent runs, asked directly (hosts the harness killed, paused or cut
   * off are left out).
   */
  public Map<String, List<Container>> containersByHost() {
    Map<String, List<Container>> all = new LinkedHashMap<>();
    for (String host : hosts.keySet()) {
      if (!unreachable.contains(host)) {
        all.put(host, AgentServiceGrpc.newBlockingStub(agentChannel(host)).withDeadlineAfter(20, TimeUnit.SECONDS)
            .listContainers(ListContainersRequest.getDefaultInstance()).getContainersList());
      }
    }
    return all;
  }

  /** The reachable hosts whose agent reports container {@code name} running, sorted. */
  public List<String> hostsRunning(String name) {
    return containersByHost().entrySet().stream()
        .filter(e -> e.getValue().stream().anyMatch(c -> c.getSpec().getName().equals(name) && c.getState() == ContainerState.CONTAINER_STATE_RUNNING))
        .map(Map.Entry::getKey)
        .sorted()
        .toList();
  }

  /**
   * The coordinator Helix made controller leader, from ZooKeeper ({@code
   * /ferry-CLUSTER/CONTROLLER/LEADER}, whose record id is the coordinator's id): the public API
   * does not say which coordinator leads. Empty when there is none.
   */
  public Optional<String> leaderId() {
    try (CuratorFramework zk = zookeeperClient()) {
      String json = new String(zk.getData().forPath("/ferry-" + cluster + "/CONTROLLER/LEADER"), StandardCharsets.UTF_8);
      Matcher m = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"").matcher(json);
      return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    } catch (Exception e) {
      throw new IllegalStateException("cannot read the controller leader from ZooKeeper", e);
    }
  }

  /** A connected client of the ensemble (the caller closes it). */
  CuratorFramework zookeeperClient() throws InterruptedException {
    CuratorFramework zk = CuratorFrameworkFactory.builder().connectString(zookeeper.connectString()).retryPolicy(new RetryOneTime(100))
        .sessionTimeoutMs(10_000).connectionTimeoutMs(5_000).build();
    zk.start();
    if (!zk.blockUntilConnected(10, TimeUnit.SECONDS)) {
      zk.close();
      throw new IllegalStateException("cannot connect to ZooKeeper " + zookeeper.connectString());
    }
    return zk;
  }

  // ---- fault injection ----

  /** A host dies: {@code docker kill} of its container (its agent and containers die with it). */
  public void killHost(String host) {
    HostNode h = require(hosts, host, "host");
    docker().killContainerCmd(h.containerId()).exec();
    agentsDown.add(host);
    unreachable.add(host);
  }

  /** A host freezes: {@code docker pause} (cgroup freezer) of its container, its containers included. */
  public void pauseHost(String host) {
    docker().pauseContainerCmd(require(hosts, host, "host").containerId()).exec();
    unreachable.add(host);
  }

  public void unpauseHost(String host) {
    docker().unpauseContainerCmd(require(hosts, host, "host").containerId()).exec();
    unreachable.remove(host);
  }

  /** Cuts a host from the network (from ZooKeeper, coordinators, other hosts and the test alike). */
  public void disconnectHost(String host) {
    docker().disconnectFromNetworkCmd().withNetworkId(network.getId()).withContainerId(require(hosts, host, "host").containerId()).withForce(true).exec();
    unreachable.add(host);
  }

  /** Heals {@link #disconnectHost}: connects the host again with the same address. */
  public void reconnectHost(String host) {
    HostNode h = require(hosts, host, "host");
    docker().connectToNetworkCmd().withNetworkId(network.getId()).withContainerId(h.containerId())
        .withContainerNetwork(new ContainerNetwork().withIpamConfig(new ContainerNetwork.Ipam().withIpv4Address(h.address())))
        .exec();
    unreachable.remove(host);
  }

  /**
   * Partitions a host from ZooKeeper only: inside the host, packets to and from every ZooKeeper
   * server are dropped (iptables), while coordinators, other hosts and clients still reach it.
   */
  public void isolateFromZooKeeper(String host) {
    HostNode h = require(hosts, host, "host");
    for (int i = 1; i <= ZooKeeperEnsemble.SIZE; i++) {
      for (String rule : List.of("OUTPUT -d", "INPUT -s")) {
        String[] words = rule.split(" ");
        requireSucceeded(h.exec("iptables", "-I", words[0], words[1], zookeeperAddress(i), "-j", "DROP"), "isolate " + host + " from ZooKeeper");
      }
    }
  }

  /** Heals {@link #isolateFromZooKeeper}. */
  public void healFromZooKeeper(String host) {
    HostNode h = require(hosts, host, "host");
    for (int i = 1; i <= ZooKeeperEnsemble.SIZE; i++) {
      for (String rule : List.of("OUTPUT -d", "INPUT -s")) {
        String[] words = rule.split(" ");
        requireSucceeded(h.exec("iptables", "-D", words[0], words[1], zookeeperAddress(i), "-j", "DROP"), "heal " + host + " from ZooKeeper");
      }
    }
  }

  /**
   * Kills the host's agent (SIGKILL: a crash; the host and its containers stay), starts it again
   * with the same settings (no join token: it has its certificate) and waits until its API answers.
   * The coordinators may not even notice (a restart within the session timeout): {@link
   * #awaitHostsOnline} waits for their view.
   *
   * @throws org.awaitility.core.ConditionTimeoutException when the new agent does not answer within 60 s
   */
  /**
   * Brings a host killed by {@link #killHost} back: its container starts again (its state
   * directory kept, as a machine's disk after a power cut) and so does its agent, which recovers
   * its containers stopped.
   */
  public void reviveHost(String host) throws IOException {
    HostNode h = require(hosts, host, "host");
    docker().startContainerCmd(h.containerId()).exec();
    h.startAgent(agentSettings.get(host));
    agentsDown.remove(host);
    unreachable.remove(host);
    await("the revived agent of " + host + " answering").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
        .ignoreExceptionsMatching(e -> !(e instanceof DaemonExited)).until(() -> {
          requireDaemonsAlive();
          AgentServiceGrpc.newBlockingStub(agentChannel(host)).withDeadlineAfter(5, TimeUnit.SECONDS).listContainers(ListContainersRequest.getDefaultInstance());
          return true;
        });
  }

  /** Brings a coordinator killed by {@link #killLeaderCoordinator} back (its container, then its process). */
  public void reviveCoordinator(String id) throws IOException {
    CoordinatorNode c = require(coordinators, id, "coordinator");
    docker().startContainerCmd(c.containerId()).exec();
    c.startProcess(coordinatorSettings(c));
    killedCoordinators.remove(id);
  }

  public void restartAgent(String host) throws IOException, InterruptedException {
    HostNode h = require(hosts, host, "host");
    agentsDown.add(host);
    h.killAgent();
    if (!ClusterTls.hostFilesIn(h.stateDir().resolve("security"))) {
      throw new IllegalStateException(host + " has no host certificate in " + h.stateDir().resolve("security") + ": it never joined");
    }
    h.startAgent(agentSettings.get(host));
    agentsDown.remove(host);
    await("the restarted agent of " + host + " answering").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
        .ignoreExceptionsMatching(e -> !(e instanceof DaemonExited)).until(() -> {
          requireDaemonsAlive();
          AgentServiceGrpc.newBlockingStub(agentChannel(host)).withDeadlineAfter(5, TimeUnit.SECONDS).listContainers(ListContainersRequest.getDefaultInstance());
          return true;
        });
  }

  /** The pid of the agent on {@code host}, inside its host container: a restart changes it. */
  public long agentPid(String host) {
    return require(hosts, host, "host").agentPid();
  }

  /** Kills ZooKeeper server {@code i} (1..3) with {@code docker kill}; its data stays. */
  public void killZooKeeper(int i) {
    zookeeper.kill(i);
  }

  /** Starts ZooKeeper server {@code i} again and waits until it serves (is part of the quorum). */
  public void startZooKeeper(int i) {
    zookeeper.restart(i, Duration.ofSeconds(60));
  }

  /** The mode ZooKeeper server {@code i} reports ({@code leader}, {@code follower}), or empty. */
  public Optional<String> zookeeperMode(int i) {
    return zookeeper.mode(i);
  }

  /**
   * Kills the leading coordinator's container ({@code docker kill}: its machine crashes) and
   * returns its id.
   *
   * @throws IllegalStateException when no coordinator leads
   */
  public String killLeaderCoordinator() {
    String leader = leaderId().orElseThrow(() -> new IllegalStateException("no coordinator leads"));
    killedCoordinators.add(leader);
    require(coordinators, leader, "coordinator").kill();
    return leader;
  }

  // ---- dump ----

  /**
   * Everything a reader needs after a failure ({@link ClusterDump}): Docker's view of every node,
   * the ZooKeeper tree, the coordinators' view, each reachable agent's containers, every daemon's
   * log tail. Best effort: a part that cannot be had says why.
   */
  public String dump() {
    return ClusterDump.of(this);
  }

  Map<String, CoordinatorNode> coordinatorNodes() {
    return coordinators;
  }

  Map<String, HostNode> hostNodes() {
    return hosts;
  }

  ZooKeeperEnsemble zookeeper() {
    return zookeeper;
  }

  /** The last {@code lines} lines of {@code file}, or why there are none. */
  static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  // ---- cleanup ----

  /**
   * Removes every container and the network, going on past failures (each reported on stderr).
   * The test directory (logs, state) stays for the reader.
   */
  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    for (HostNode h : hosts.values()) {
      attempt("host " + h.name(), h::remove);
    }
    for (CoordinatorNode c : coordinators.values()) {
      attempt("coordinator " + c.id(), c::remove);
    }
    attempt("zookeeper", zookeeper::close);
    attempt("network", network::close);
  }

  /** Containers and the network a crashed earlier run left behind: they hold the fixed subnet. */
  private static void removeLeftovers() {
    DockerClient docker = docker();
    docker.listContainersCmd().withShowAll(true).withLabelFilter(List.of(LABEL)).exec().forEach(c ->
        attempt("leftover container " + String.join(",", c.getNames()), () -> docker.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec()));
    docker.listNetworksCmd().withNameFilter(NETWORK_NAME).exec().stream().filter(n -> n.getName().equals(NETWORK_NAME)).forEach(n ->
        attempt("leftover network " + n.getName(), () -> docker.removeNetworkCmd(n.getId()).exec()));
  }

  private interface Step {
    void run() throws Exception;
  }

  private static void attempt(String what, Step step) {
    try {
      step.run();
    } catch (Exception | Error e) {
      System.err.println("MultiHostCluster: cannot clean up " + what + ": " + e);
    }
  }

  private static void requireSucceeded(CommandResult result, String what) {
    if (!result.succeeded()) {
      throw new IllegalStateException("cannot " + what + ": " + String.join(" ", result.argv()) + ": " + result.output());
    }
  }

  private String containerPrefix() {
    return "ferry-mh-" + cluster;
  }

  private static <T> T require(Map<String, T> nodes, String name, String kind) {
    T node = nodes.get(name);
    if (node == null) {
      throw new IllegalArgumentException("no " + kind + " '" + name + "' (have " + nodes.keySet() + ")");
    }
    return node;
  }

  static DockerClient docker() {
    return DockerClientFactory.instance().client();
  }
}
