package io.ferry.it.multihost;

import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import io.ferry.common.security.TestPki;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.utility.DockerImageName;

/**
 * A ZooKeeper ensemble of {@link #SIZE} servers ({@code QuorumPeerMain} 3.9.5, the jars the
 * coordinator ships in {@code coordinator/target/lib}), each a Docker container on the harness
 * network with a fixed address, its configuration and data in a directory of the test
 * ({@code zk-N/}, mounted at {@code /var/lib/zookeeper}) so that a killed server starts again with
 * its data, as a crashed machine would. Plaintext: no TLS between clients and servers yet.
 *
 * <p>Server {@code i} (1-based) is {@code MultiHostCluster.zookeeperAddress(i)}; clients connect
 * on {@link #CLIENT_PORT}. The tick is 500 ms, so sessions can be 1-10 s (the harness uses 4 s).
 * The four-letter word {@code srvr} is allowed: readiness is "every running server answers it with
 * a mode (leader or follower)".
 */
final class ZooKeeperEnsemble implements AutoCloseable {

  static final int SIZE = 3;
  static final int CLIENT_PORT = 2181;
  /** The plaintext port, bound to the server container's loopback: status probes only. */
  private static final int PROBE_PORT = 2182;
  private static final String MAIN = "org.apache.zookeeper.server.quorum.QuorumPeerMain";
  private static final String DATA = "/var/lib/zookeeper";

  private final List<GenericContainer<?>> servers = new ArrayList<>();
  private final List<Path> directories = new ArrayList<>();

  /**
   * Creates the servers' containers (not started).
   *
   * @param coordinatorJar the coordinator's jar; its directory (with {@code lib/}) is mounted read-only
   */
  ZooKeeperEnsemble(String image, Network network, String namePrefix, String label, Path dir, Path coordinatorJar, TestPki pki) throws IOException {
    String servers = IntStream.rangeClosed(1, SIZE)
        .mapToObj(i -> "server." + i + "=" + MultiHostCluster.zookeeperAddress(i) + ":2888:3888")
        .collect(Collectors.joining("\n"));
    Path jars = coordinatorJar.getParent();
    for (int i = 1; i <= SIZE; i++) {
      Path home = Files.createDirectories(dir.resolve("zk-" + i));
      Files.createDirectories(home.resolve("data"));
      Files.writeString(home.resolve("data/myid"), i + "\n");
      String address = MultiHostCluster.zookeeperAddress(i);
      // Each server's host identity of the cluster CA, for Ferry's gate (docs/SECURITY.md, external ensemble).
      pki.installHost(home.resolve("identity"), "zk-" + i, List.of(address));
      Files.writeString(home.resolve("zoo.cfg"), String.join("\n",
          "tickTime=500",
          "initLimit=20",
          "syncLimit=10",
          "dataDir=" + DATA + "/data",
          // Clients: mutual TLS only, through Ferry's gate (host certificates of the cluster CA).
          "secureClientPort=" + CLIENT_PORT,
          "serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory",
          "authProvider.ferry=io.ferry.common.security.zookeeper.HostAuthenticationProvider",
          "ssl.authProvider=ferry",
          "ssl.clientAuth=need",
          // Plaintext on loopback inside the server's container only, for the harness's status probe.
          "clientPort=" + PROBE_PORT,
          "clientPortAddress=127.0.0.1",
          "admin.enableServer=false",
          "4lw.commands.whitelist=srvr,ruok,mntr",
          servers,
          ""));
      directories.add(home);
      String command = "exec java -Xmx192m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dferry.zookeeper.identity-dir=" + DATA + "/identity -cp " + coordinatorJar + " " + MAIN + " " + DATA
          + "/zoo.cfg >>" + DATA + "/zookeeper.log 2>&1";
      GenericContainer<?> server = new GenericContainer<>(DockerImageName.parse(image))
          .withNetwork(network)
          .withFileSystemBind(home.toString(), DATA, org.testcontainers.containers.BindMode.READ_WRITE)
          .withFileSystemBind(jars.toString(), jars.toString(), org.testcontainers.containers.BindMode.READ_ONLY)
          .withLabel(MultiHostCluster.LABEL, label)
          .withCreateContainerCmdModifier(cmd -> cmd.withName(namePrefix + "-zk-" + address.substring(address.lastIndexOf('.') + 1)).withIpv4Address(address))
          .withCommand("sh", "-c", command);
      this.servers.add(server);
    }
  }

  /** Starts every server and waits until they form a quorum. */
  void start(Duration deadline) {
    servers.forEach(GenericContainer::start);
    awaitServing(IntStream.rangeClosed(1, SIZE).boxed().toList(), deadline);
  }

  /** {@code host:port,...} of every server, as ZooKeeper clients take it. */
  String connectString() {
    return IntStream.rangeClosed(1, SIZE).mapToObj(i -> MultiHostCluster.zookeeperAddress(i) + ":" + CLIENT_PORT).collect(Collectors.joining(","));
  }

  /** Kills server {@code i} (SIGKILL to its container, as a crash); its data stays. */
  void kill(int i) {
    docker().killContainerCmd(server(i).getContainerId()).exec();
  }

  /** Starts server {@code i} again (the same container, its data kept) and waits until it serves. */
  void restart(int i, Duration deadline) {
    docker().startContainerCmd(server(i).getContainerId()).exec();
    awaitServing(List.of(i), deadline);
  }

  /**
   * What server {@code i} says it is ({@code leader}, {@code follower}), or empty when it does
   * not answer or is not part of a quorum (a server without one answers {@code srvr} with "This
   * ZooKeeper instance is not currently serving requests").
   */
  Optional<String> mode(int i) {
    if (!server(i).isRunning()) {
      return Optional.empty();
    }
    String answer = fourLetterWord(i, "srvr");
    return answer.lines().filter(l -> l.startsWith("Mode: ")).map(l -> l.substring("Mode: ".length()).strip()).findFirst();
  }

  /** The servers' log tails, for a failure dump. */
  String logTails(int lines) {
    StringBuilder out = new StringBuilder();
    for (int i = 1; i <= SIZE; i++) {
      out.append("---- zookeeper ").append(i).append(" (").append(mode(i).orElse("not serving")).append(") log ----\n")
          .append(MultiHostCluster.tail(directories.get(i - 1).resolve("zookeeper.log"), lines)).append('\n');
    }
    return out.toString();
  }

  private void awaitServing(List<Integer> which, Duration deadline) {
    await("ZooKeeper servers " + which + " serving").atMost(deadline).pollInterval(Duration.ofMillis(250))
        .until(() -> which.stream().allMatch(i -> mode(i).isPresent()));
  }

  private GenericContainer<?> server(int i) {
    if (i < 1 || i > SIZE) {
      throw new IllegalArgumentException("no ZooKeeper server " + i + " (1.." + SIZE + ")");
    }
    return servers.get(i - 1);
  }

  /**
   * Sends a four-letter word from inside server {@code i}'s container (its plaintext port is bound
   * to loopback there) and returns the answer, or "" when the server does not answer.
   */
  private String fourLetterWord(int i, String word) {
    try {
      var result = server(i).execInContainer("sh", "-c", "echo " + word + " | busybox nc -w 2 127.0.0.1 " + PROBE_PORT);
      return result.getExitCode() == 0 ? result.getStdout() : "";
    } catch (IOException | RuntimeException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  private static DockerClient docker() {
    return DockerClientFactory.instance().client();
  }

  @Override
  public void close() {
    for (GenericContainer<?> server : servers) {
      try {
        server.stop();
      } catch (RuntimeException e) {
        System.err.println("ZooKeeperEnsemble.close: " + e);
      }
    }
  }
}
