package io.ferry.bench;

import io.ferry.agent.cluster.HelixClusterMember;
import io.ferry.common.cluster.HostRegistration;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fleet of simulated hosts in this JVM: for each, a {@link SimulatedAgent} served over gRPC on
 * 127.0.0.1 (an ephemeral port) and a real {@link HelixClusterMember} that joins the cluster with
 * the host's {@link HostRegistration}, exactly as an agent does. No containers are run.
 *
 * <p>Cheap per host: all the gRPC servers share one boss and one worker Netty event loop group and
 * one bounded executor for calls. What each host still costs is its Helix participant: a
 * ZooKeeper session with its client threads, and the member's own join thread.
 *
 * <p>Capacity per host: {@link #CPU_MILLIS} (16 cores), {@link #MEMORY_BYTES} (64 GiB), {@link
 * #DISK_BYTES} (1 TiB). Lifecycle: {@link #start} once, then {@link #join} once, {@link #close()}.
 */
final class SimulatedHosts implements AutoCloseable {

  static final long CPU_MILLIS = 16_000;
  static final long MEMORY_BYTES = 64L << 30;
  static final long DISK_BYTES = 1L << 40;

  private final List<SimulatedAgent> agents = new ArrayList<>();
  private final List<Server> servers = new ArrayList<>();
  private final List<HelixClusterMember> members = new ArrayList<>();
  private final EventLoopGroup boss = new NioEventLoopGroup(1, new DefaultThreadFactory("sim-agent-boss", true));
  private final EventLoopGroup workers = new NioEventLoopGroup(2, new DefaultThreadFactory("sim-agent-io", true));
  private final ExecutorService calls;

  private SimulatedHosts() {
    AtomicInteger n = new AtomicInteger();
    calls =
        new ThreadPoolExecutor(4, 4, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "sim-agent-call-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  /** Starts {@code count} agents' gRPC servers, named {@code host-0001}...; none joined yet. */
  static SimulatedHosts start(int count) throws IOException {
    SimulatedHosts hosts = new SimulatedHosts();
    try {
      for (int i = 1; i <= count; i++) {
        SimulatedAgent agent = new SimulatedAgent(String.format(java.util.Locale.ROOT, "host-%04d", i), i);
        Server server =
            NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), BenchCerts.host(agent.host()).serverCredentials())
                .bossEventLoopGroup(hosts.boss)
                .workerEventLoopGroup(hosts.workers)
                .channelType(NioServerSocketChannel.class)
                .executor(hosts.calls)
                .addService(agent)
                .build()
                .start();
        hosts.agents.add(agent);
        hosts.servers.add(server);
      }
    } catch (IOException | RuntimeException e) {
      hosts.close();
      throw e;
    }
    return hosts;
  }

  /**
   * Joins every host to {@code ferryCluster} through Helix, {@code parallelism} at a time, and
   * returns once all are connected.
   *
   * @throws IllegalStateException when a host has not joined within {@code timeout}
   */
  void join(String zookeeper, String ferryCluster, Duration sessionTimeout, int parallelism, Duration timeout) throws Exception {
    for (int i = 0; i < agents.size(); i++) {
      HostRegistration registration =
          new HostRegistration(agents.get(i).host(), "127.0.0.1:" + servers.get(i).getPort(), CPU_MILLIS, MEMORY_BYTES, DISK_BYTES, Map.of("rack", "r" + (i % 10)), "bench");
      members.add(new HelixClusterMember(zookeeper, ferryCluster, registration, sessionTimeout));
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    ExecutorService joiners = Executors.newFixedThreadPool(parallelism, r -> {
      Thread t = new Thread(r, "sim-host-joiner");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<?>> joined = new ArrayList<>();
      AtomicInteger done = new AtomicInteger();
      for (HelixClusterMember member : members) {
        joined.add(joiners.submit(() -> {
          member.join();
          awaitConnected(member, deadline);
          int d = done.incrementAndGet();
          if (d % 100 == 0) {
            Progress.log("  %d of %d hosts joined", d, members.size());
          }
          return null;
        }));
      }
      for (Future<?> f : joined) {
        f.get();
      }
    } finally {
      joiners.shutdownNow();
    }
  }

  private static void awaitConnected(HelixClusterMember member, long deadline) throws InterruptedException {
    while (!member.isConnected()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("a simulated host did not join in time: " + member.state());
      }
      Thread.sleep(5);
    }
  }

  List<SimulatedAgent> agents() {
    return agents;
  }

  int size() {
    return agents.size();
  }

  /** Hosts whose Helix session is connected now. */
  long connected() {
    return members.stream().filter(HelixClusterMember::isConnected).count();
  }

  /** Containers held by all hosts, and how many of them run. */
  long containers() {
    return agents.stream().mapToLong(SimulatedAgent::containerCount).sum();
  }

  long running() {
    return agents.stream().mapToLong(SimulatedAgent::runningCount).sum();
  }

  @Override
  public void close() {
    ExecutorService closers = Executors.newFixedThreadPool(16, r -> {
      Thread t = new Thread(r, "sim-host-closer");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<?>> closing = new ArrayList<>();
      for (HelixClusterMember member : members) {
        closing.add(closers.submit(member::close));
      }
      for (Future<?> f : closing) {
        try {
          f.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
          Progress.log("closing a simulated host's membership: %s", e);
        }
      }
    } finally {
      closers.shutdownNow();
    }
    servers.forEach(Server::shutdownNow);
    calls.shutdownNow();
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
