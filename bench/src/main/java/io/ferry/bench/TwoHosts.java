package io.ferry.bench;

import io.ferry.cli.client.ImageUpload;
import io.ferry.common.process.Command;
import io.ferry.common.process.CommandResult;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.GetHostInfoRequest;
import io.ferry.proto.v1.MigrationServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Two simulated hosts for the migration benchmark, made as the quickstart makes them: an underlay
 * bridge {@value #UNDERLAY} (10.231.0.1/24) in the root network namespace, one network namespace per
 * host ({@code fbh-a}, {@code fbh-b}) on it, and in each a real agent as a separate JVM started from
 * the bench jar's class path through {@code nsenter --net} (so runc sees the host's cgroup mounts),
 * with its own state directory and cgroup parent. Both agents give their containers the same bridge
 * name and subnet inside their namespaces, as real hosts may; no overlay is needed since nothing
 * outside the two hosts talks to the containers.
 *
 * <p>The names are fixed (a benchmark runs alone): {@link #start} first removes what an interrupted
 * run left, and {@link #close()} removes everything it made but the logs kept in {@link #LOGS} (the agents', CRIU's restores).
 */
final class TwoHosts implements AutoCloseable {

  static final String UNDERLAY = "fbmu0";
  static final String PREFIX = "10.231.0";
  static final int AGENT_PORT = 7711;
  private static final Duration CMD = Duration.ofSeconds(30);

  final Path root;
  final Host a;
  final Host b;

  private TwoHosts(Path root) {
    this.root = root;
    this.a = new Host("a", 11);
    this.b = new Host("b", 12);
  }

  /** One simulated host: its namespace, underlay address and agent process. */
  final class Host {
    final String name;
    final String netns;
    final String ip;
    final Path state;
    private Process process;
    private ManagedChannel channel;

    Host(String letter, int octet) {
      this.name = "bench-" + letter;
      this.netns = "fbh-" + letter;
      this.ip = PREFIX + "." + octet;
      this.state = root.resolve(letter);
    }

    String address() {
      return ip + ":" + AGENT_PORT;
    }

    AgentServiceGrpc.AgentServiceBlockingStub agent() {
      return AgentServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.MINUTES);
    }

    MigrationServiceGrpc.MigrationServiceBlockingStub migration() {
      return MigrationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.MINUTES);
    }

    /** Runs {@code argv} inside this host's network namespace. */
    List<String> inNetns(List<String> argv) {
      List<String> all = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + netns));
      all.addAll(argv);
      return all;
    }

    void importImage(String file, String alias) throws Exception {
      ImageUpload.upload(AgentServiceGrpc.newStub(channel), LocalAgent.IMAGE_CACHE.resolve(file), List.of(alias),
          Duration.ofMinutes(5), sent -> {});
    }

    private void startAgent(Path jar) throws Exception {
      Files.createDirectories(state);
      BenchCerts.install(state.resolve("state").resolve("security"), name, ip);
      Path log = state.resolve("agent.log");
      List<String> argv = new ArrayList<>(List.of(
          ProcessHandle.current().info().command().orElse("java"), "-Xmx768m", "-XX:+UseSerialGC",
          // the agent's own logging (the bench jar's log4j2.xml is the CLI's, quiet)
          "-Dlog4j2.configurationFile=jar:file:" + agentJar(jar) + "!/log4j2.xml",
          "-cp", jar.toString()));
      // Extra JVM options for the agents, for a look inside them (a profiler, a flight recording).
      String extra = System.getenv().getOrDefault("FERRY_BENCH_AGENT_JAVA_OPTS", "").strip();
      if (!extra.isEmpty()) {
        argv.addAll(List.of(extra.replace("{host}", name).split("\\s+")));
      }
      argv.addAll(List.of("io.ferry.agent.AgentMain", "--config", state.resolve("absent.properties").toString(),
          "host.name=" + name, "listen.address=" + ip, "listen.port=" + AGENT_PORT, "metrics.port=0",
          "state.dir=" + state.resolve("state"), "network.bridge=fbr0", "network.subnet=10.100.0.0/24",
          "runtime.cgroup-parent=/ferry-" + name));
      process = new ProcessBuilder(inNetns(argv)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      channel = NettyChannelBuilder.forAddress(ip, AGENT_PORT, BenchCerts.admin().channelCredentials()).maxInboundMessageSize(8 << 20).build();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (true) {
        if (!process.isAlive()) {
          throw new IllegalStateException("agent " + name + " exited; its log: " + log);
        }
        try {
          AgentServiceGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
              .getHostInfo(GetHostInfoRequest.getDefaultInstance());
          return;
        } catch (StatusRuntimeException e) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("agent " + name + " did not serve within 90 s; its log: " + log, e);
          }
          TimeUnit.MILLISECONDS.sleep(200); // polling a starting process: nothing to wait on
        }
      }
    }

    private static Path agentJar(Path benchJar) throws java.io.IOException {
      try (java.util.stream.Stream<Path> lib = Files.list(benchJar.resolveSibling("lib"))) {
        return lib.filter(p -> p.getFileName().toString().startsWith("ferry-agent-")).findFirst()
            .orElseThrow(() -> new IllegalStateException("no ferry-agent jar beside " + benchJar));
      }
    }

    private void stopAgent() {
      if (channel != null) {
        channel.shutdownNow();
      }
      if (process != null) {
        process.destroy();
        try {
          if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    /** runc containers, overlay mounts, container namespaces and the cgroup parent of this host. */
    private void removeLeftovers() {
      Path runc = state.resolve("state").resolve("runc");
      sh("[ -d " + runc + " ] && for c in $(runc --root " + runc + " list -q); do runc --root " + runc
          + " delete --force $c; done; grep -o ' " + state + "[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l;"
          + " for n in $(ls /run/netns | grep '^fc-" + name + "\\.'); do ip netns del $n; done;"
          + " for d in /sys/fs/cgroup/*/ferry-" + name + "; do [ -d $d ] && find $d -depth -type d -exec rmdir {} \\; ; done; true");
    }
  }

  /** Removes leftovers, makes the network and starts both agents from {@code jar}. */
  static TwoHosts start(Path jar) throws Exception {
    TwoHosts hosts = new TwoHosts(Path.of("/tmp/ferry-bench-migration"));
    hosts.removeAll();
    sh("rm -rf " + LOGS);
    try {
      sh("ip link add " + UNDERLAY + " type bridge && ip addr add " + PREFIX + ".1/24 dev " + UNDERLAY
          + " && ip link set " + UNDERLAY + " up");
      sh("iptables -C FORWARD -i " + UNDERLAY + " -o " + UNDERLAY + " -j ACCEPT 2>/dev/null || iptables -I FORWARD -i "
          + UNDERLAY + " -o " + UNDERLAY + " -j ACCEPT");
      for (Host h : List.of(hosts.a, hosts.b)) {
        String veth = "fbv-" + h.name.substring(h.name.length() - 1);
        sh("ip netns add " + h.netns + " && ip link add " + veth + " type veth peer name eth0 netns " + h.netns
            + " && ip link set " + veth + " master " + UNDERLAY + " up && ip -n " + h.netns + " addr add " + h.ip
            + "/24 dev eth0 && ip -n " + h.netns + " link set eth0 up && ip -n " + h.netns + " link set lo up");
      }
      hosts.a.startAgent(jar);
      hosts.b.startAgent(jar);
      return hosts;
    } catch (Exception | Error e) {
      hosts.close();
      throw e;
    }
  }

  private void removeAll() {
    for (Host h : List.of(a, b)) {
      h.removeLeftovers();
    }
    // The underlay veths go with their namespace, unless something still holds it (seen after an
    // interrupted run): then they are deleted by name.
    sh("ip netns del " + a.netns + " 2>/dev/null; ip netns del " + b.netns + " 2>/dev/null; ip link del fbv-a 2>/dev/null;"
        + " ip link del fbv-b 2>/dev/null; ip link del " + UNDERLAY
        + " 2>/dev/null; while iptables -D FORWARD -i " + UNDERLAY + " -o " + UNDERLAY
        + " -j ACCEPT 2>/dev/null; do :; done; rm -rf --one-file-system " + root + "; true");
  }

  /** Where {@link #close()} leaves the agents' logs (the state directory itself goes). */
  static final Path LOGS = Path.of("/tmp/ferry-bench-migration.logs");

  @Override
  public void close() {
    a.stopAgent();
    b.stopAgent();
    sh("mkdir -p " + LOGS + " && for h in a b; do cp " + root + "/$h/agent.log " + LOGS
        + "/agent-$h.log 2>/dev/null; done; true");
    removeAll();
  }

  static String sh(String script) {
    CommandResult r = Command.of("sh", "-c", script).timeout(CMD).run();
    if (!r.succeeded()) {
      throw new IllegalStateException("'" + script + "' failed: " + r.stderr());
    }
    return r.stdout();
  }
}
