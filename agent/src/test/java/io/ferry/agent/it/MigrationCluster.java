package io.ferry.agent.it;

import static org.awaitility.Awaitility.await;

import io.ferry.cli.client.ImageUpload;
import io.ferry.common.process.Command;
import io.ferry.common.process.CommandResult;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.ContainerRef;
import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.GetHostInfoRequest;
import io.ferry.proto.v1.Image;
import io.ferry.proto.v1.ListContainersRequest;
import io.ferry.proto.v1.MigrationServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two simulated hosts on this machine, as {@code deploy/quickstart.sh} makes them: an underlay
 * bridge in the root network namespace, one network namespace per host with a veth on it, and in
 * each a real agent as a separate process ({@code nsenter --net}, never {@code ip netns exec},
 * which hides the cgroup mounts runc needs), listening on its host's underlay address. Both agents
 * use the same container bridge name and subnet inside their namespaces (10.100.0.0/24), as real
 * hosts may; each has its own state directory, netns prefix and cgroup parent.
 *
 * <p>A third namespace, the client, sits on the underlay with a route to the container subnet via
 * host A; {@link #routeClientVia} moves that route to the other host, standing in for the cluster
 * overlay (VXLAN) that will carry a container's address between hosts.
 *
 * <p>Everything it makes carries a random number, so that concurrent test runs do not collide, and
 * {@link #close()} removes all of it (containers, agents, mounts, namespaces, links, cgroups).
 */
final class MigrationCluster implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(MigrationCluster.class);

  static final Path AGENT_JAR = Path.of("target/ferry-agent.jar").toAbsolutePath();
  static final String CONTAINER_SUBNET = "10.100.0.0/24";
  static final int AGENT_PORT = 7701;
  private static final Duration CMD = Duration.ofSeconds(20);

  final int n = ThreadLocalRandom.current().nextInt(10, 250);
  final Path root;
  final String underlay = "fmu" + n;
  final String prefix = "10.232." + n;
  final String clientNs = "fmc" + n;
  final Host a;
  final Host b;
  /** Set by a failing test: its state directories and logs stay for a look. */
  volatile boolean failed;

  MigrationCluster(Path root) {
    this.root = root;
    this.a = new Host("a", 11);
    this.b = new Host("b", 12);
  }

  /** One simulated host and its agent process. */
  final class Host {
    final String letter;
    final String name;
    final String netns;
    final String ip;
    final String veth;
    final Path state;
    final Path logDir;
    Process process;
    ManagedChannel channel;
    Path logFile;
    int runs;

    Host(String letter, int octet) {
      this.letter = letter;
      this.name = "mig" + n + letter;
      this.netns = "fmh" + n + letter;
      this.ip = prefix + "." + octet;
      this.veth = "fmv" + n + letter;
      this.state = root.resolve(letter).resolve("state");
      this.logDir = root.resolve(letter);
    }

    String address() {
      return ip + ":" + AGENT_PORT;
    }

    /** Starts the agent with these extra {@code key=value} settings and waits until it serves. */
    void start(Map<String, String> extra) throws Exception {
      Files.createDirectories(logDir);
      AgentCerts.install(state.resolve("security"), name, ip);
      logFile = logDir.resolve("agent-" + (++runs) + ".log");
      Map<String, String> settings = new LinkedHashMap<>();
      settings.put("host.name", name);
      settings.put("listen.address", ip);
      settings.put("listen.port", Integer.toString(AGENT_PORT));
      settings.put("metrics.port", "0");
      settings.put("state.dir", state.toString());
      settings.put("stop.timeout", "5s");
      settings.put("network.bridge", "fbr0");
      settings.put("network.subnet", CONTAINER_SUBNET);
      settings.put("runtime.cgroup-parent", "/ferry-" + name);
      settings.put("migration.resolve-interval", "1s");
      settings.putAll(extra);
      List<String> argv = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + netns,
          ProcessHandle.current().info().command().orElse("java"),
          "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-Xmx256m",
          "-jar", AGENT_JAR.toString(), "--config", root.resolve("absent.properties").toString()));
      settings.forEach((k, v) -> argv.add(k + "=" + v));
      process = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
      channel = NettyChannelBuilder.forAddress(ip, AGENT_PORT, AgentCerts.coordinator().channelCredentials()).maxInboundMessageSize(8 << 20).build();
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
        if (!process.isAlive()) {
          throw new AssertionError("agent " + name + " exited: " + Files.readString(logFile));
        }
        return agent().getHostInfo(GetHostInfoRequest.getDefaultInstance()).hasHost();
      });
    }

    /** SIGKILL, as a crash: its containers keep running. */
    void kill() throws InterruptedException {
      if (channel != null) {
        channel.shutdownNow();
      }
      if (process != null && process.isAlive()) {
        process.destroyForcibly();
        process.waitFor(20, TimeUnit.SECONDS);
      }
    }

    AgentServiceGrpc.AgentServiceBlockingStub agent() {
      return AgentServiceGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.MINUTES);
    }

    MigrationServiceGrpc.MigrationServiceBlockingStub migration() {
      return MigrationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(3, TimeUnit.MINUTES);
    }

    MigrationServiceGrpc.MigrationServiceStub migrationAsync() {
      return MigrationServiceGrpc.newStub(channel).withDeadlineAfter(3, TimeUnit.MINUTES);
    }

    Image importImage(String file, String alias) throws Exception {
      return ImageUpload.upload(AgentServiceGrpc.newStub(channel), AgentHarness.IMAGE_CACHE.resolve(file), List.of(alias),
          Duration.ofMinutes(5), sent -> {});
    }

    /** Runs a command in a container and returns its stdout (fails the test on a non-zero exit). */
    String exec(String container, String... command) {
      StringBuilder out = new StringBuilder();
      StringBuilder err = new StringBuilder();
      int[] exit = {Integer.MIN_VALUE};
      agent().exec(io.ferry.proto.v1.ExecRequest.newBuilder().setName(container).addAllCommand(List.of(command)).build())
          .forEachRemaining(o -> {
            switch (o.getPartCase()) {
              case STDOUT -> out.append(o.getStdout().toStringUtf8());
              case STDERR -> err.append(o.getStderr().toStringUtf8());
              case EXIT_CODE -> exit[0] = o.getExitCode();
              default -> { }
            }
          });
      if (exit[0] != 0) {
        throw new AssertionError("exec " + List.of(command) + " in " + container + " on " + name + " exited " + exit[0] + ": " + err);
      }
      return out.toString();
    }

    Path containerDir(String container) {
      return state.resolve("containers").resolve(container);
    }

    /** A file of the container's mounted rootfs, read from the host (no exec into the container). */
    Path rootfsFile(String container, String path) {
      return containerDir(container).resolve("rootfs").resolve(path);
    }

    Path journal(String id, String role) {
      return state.resolve("migrations").resolve(role + "-" + id + ".journal.json");
    }

    String containerNetns(String container) {
      return "fc-" + name + "." + container;
    }

    /** Whether the container's eth0 has a carrier, i.e. its host-side veth is up. */
    boolean linkUp(String container) {
      CommandResult r = Command.of("ip", "-n", containerNetns(container), "-o", "link", "show", "eth0").timeout(CMD).run();
      return r.succeeded() && r.stdout().contains("LOWER_UP");
    }

    /** Restarts the agent (SIGKILL, as a crash) with these extra settings. */
    void restart(Map<String, String> extra) throws Exception {
      kill();
      start(extra);
    }

    /** runc's status of the container ("running", "paused", ...), empty when runc does not know it. */
    String runcStatus(String container) {
      CommandResult r = Command.of("runc", "--root", state.resolve("runc").toString(), "state", container).timeout(CMD).run();
      if (!r.succeeded()) {
        return "";
      }
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"status\":\\s*\"([a-z]+)\"").matcher(r.stdout());
      return m.find() ? m.group(1) : "";
    }

    boolean runcKnows(String container) {
      return Command.of("runc", "--root", state.resolve("runc").toString(), "state", container).timeout(CMD).run().succeeded();
    }

    /** Deletes every container this agent has (if it answers). */
    void deleteContainers() {
      if (channel == null || process == null || !process.isAlive()) {
        return;
      }
      try {
        for (var c : agent().listContainers(ListContainersRequest.getDefaultInstance()).getContainersList()) {
          try {
            agent().deleteContainer(DeleteContainerRequest.newBuilder().setName(c.getSpec().getName()).setForce(true).build());
          } catch (StatusRuntimeException e) {
            log.warn("cleanup of {} on {} failed: {}", c.getSpec().getName(), name, e.getStatus());
          }
        }
      } catch (StatusRuntimeException e) {
        log.warn("cannot list the containers of {}: {}", name, e.getStatus());
      }
    }

    /** What runc still has, forcibly removed (containers held by a migration refuse API deletes). */
    void removeLeftovers() {
      Path runcRoot = state.resolve("runc");
      if (Files.isDirectory(runcRoot)) {
        CommandResult list = Command.of("runc", "--root", runcRoot.toString(), "list", "-q").timeout(CMD).run();
        for (String id : list.stdout().split("\\s+")) {
          if (!id.isBlank()) {
            Command.of("runc", "--root", runcRoot.toString(), "delete", "--force", id).timeout(CMD).run();
          }
        }
      }
      // Overlay mounts under the state directory, deepest first.
      try {
        List<String> mounts = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
            .map(l -> l.split(" ")[4]).filter(m -> m.startsWith(state.toString())).sorted((x, y) -> y.compareTo(x)).toList();
        for (String m : mounts) {
          Command.of("umount", "-l", m).timeout(CMD).run();
        }
      } catch (IOException e) {
        log.warn("cannot read mountinfo: {}", e.getMessage());
      }
      String nsPrefix = "fc-" + name + ".";
      try (Stream<Path> ns = Files.list(Path.of("/run/netns"))) {
        for (Path p : ns.filter(p -> p.getFileName().toString().startsWith(nsPrefix)).toList()) {
          Command.of("ip", "netns", "del", p.getFileName().toString()).timeout(CMD).run();
        }
      } catch (IOException e) {
        log.warn("cannot list /run/netns: {}", e.getMessage());
      }
      // The cgroup parent of this agent, in every hierarchy mounted here.
      Command.of("sh", "-c", "for d in /sys/fs/cgroup/*/\"$0\"; do [ -d \"$d\" ] && find \"$d\" -depth -type d -exec rmdir {} \\; ; done;"
          + " true", "ferry-" + name).timeout(CMD).run();
    }
  }

  /** Makes the network and starts both agents. */
  MigrationCluster start(Map<String, String> aSettings, Map<String, String> bSettings) throws Exception {
    Files.createDirectories(root);
    network();
    a.start(aSettings);
    b.start(bSettings);
    return this;
  }

  private void network() {
    sh("ip link add " + underlay + " type bridge && ip addr add " + prefix + ".1/24 dev " + underlay + " && ip link set "
        + underlay + " up");
    sh("iptables -C FORWARD -i " + underlay + " -o " + underlay + " -j ACCEPT 2>/dev/null || iptables -I FORWARD -i "
        + underlay + " -o " + underlay + " -j ACCEPT");
    for (Host h : List.of(a, b)) {
      sh("ip netns add " + h.netns);
      sh("ip link add " + h.veth + " type veth peer name eth0 netns " + h.netns);
      sh("ip link set " + h.veth + " master " + underlay + " up");
      sh("ip -n " + h.netns + " addr add " + h.ip + "/24 dev eth0 && ip -n " + h.netns + " link set eth0 up && ip -n "
          + h.netns + " link set lo up");
      sh("nsenter --net=/run/netns/" + h.netns + " sysctl -qw net.ipv4.ip_forward=1");
    }
    sh("ip netns add " + clientNs);
    sh("ip link add fmv" + n + "c type veth peer name eth0 netns " + clientNs);
    sh("ip link set fmv" + n + "c master " + underlay + " up");
    sh("ip -n " + clientNs + " addr add " + prefix + ".20/24 dev eth0 && ip -n " + clientNs + " link set eth0 up && ip -n "
        + clientNs + " link set lo up");
    routeClientVia(a);
  }

  /** Points the client's route to the container subnet at {@code host} (the overlay's job, later). */
  void routeClientVia(Host host) {
    sh("ip -n " + clientNs + " route replace " + CONTAINER_SUBNET + " via " + host.ip);
  }

  String clientAddress() {
    return prefix + ".20";
  }

  /** Agent logs and CRIU logs, for a failing test. */
  String dump() {
    StringBuilder out = new StringBuilder();
    for (Host h : List.of(a, b)) {
      try (Stream<Path> logs = Files.walk(h.logDir)) {
        for (Path p : logs.filter(p -> {
          String f = p.getFileName().toString();
          return f.startsWith("agent-") || f.equals("dump.log") || f.equals("restore.log") || f.equals("lazy-pages.log");
        }).sorted().toList()) {
          List<String> lines = Files.readAllLines(p);
          out.append("\n===== ").append(p).append(" (last 120 lines) =====\n");
          lines.subList(Math.max(0, lines.size() - 120), lines.size()).forEach(l -> out.append(l).append('\n'));
        }
      } catch (IOException e) {
        out.append("cannot read logs of ").append(h.name).append(": ").append(e.getMessage()).append('\n');
      }
    }
    return out.toString();
  }

  @Override
  public void close() throws Exception {
    for (Host h : List.of(a, b)) {
      h.deleteContainers();
      h.kill();
      h.removeLeftovers();
    }
    if (!failed) {
      sh("rm -rf --one-file-system " + root);
    }
    sh("ip netns del " + a.netns + "; ip netns del " + b.netns + "; ip netns del " + clientNs + "; ip link del " + underlay
        + "; ip link del " + a.veth + "; ip link del " + b.veth + "; ip link del fmv" + n + "c; "
        + "while iptables -D FORWARD -i " + underlay + " -o " + underlay + " -j ACCEPT 2>/dev/null; do :; done; true");
  }

  static String sh(String script) {
    CommandResult r = Command.of("sh", "-c", script).timeout(CMD).run();
    if (!r.succeeded()) {
      throw new IllegalStateException("'" + script + "' failed: " + r.stderr());
    }
    return r.stdout();
  }

  static ContainerRef ref(String name) {
    return ContainerRef.newBuilder().setName(name).build();
  }
}
