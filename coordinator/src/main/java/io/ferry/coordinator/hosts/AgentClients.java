package io.ferry.coordinator.hosts;

import io.ferry.common.security.ClusterTls;
import io.ferry.coordinator.CoordinatorException;
import io.ferry.coordinator.cluster.HostMember;
import io.ferry.coordinator.cluster.Membership;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.MigrationServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * gRPC channels to the agents, one per host address, made on first use and kept; mutual TLS with
 * the coordinator's host certificate, the agent's certificate checked against the cluster CA, the
 * revocation list and the address dialled. Every stub it hands out carries a deadline.
 *
 * <p>Thread-safe. Failure modes: {@link CoordinatorException} NOT_FOUND for a host the cluster
 * does not know, UNAVAILABLE for a host that is not live.
 */
public final class AgentClients implements AutoCloseable {

  private final Membership membership;
  private final Duration callTimeout;
  private final ClusterTls tls;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

  /**
   * @param callTimeout the deadline of ordinary agent calls (create, start, stop...)
   */
  public AgentClients(Membership membership, Duration callTimeout, ClusterTls tls) {
    this.membership = membership;
    this.callTimeout = callTimeout;
    this.tls = tls;
  }

  /** A blocking stub to {@code host} with the ordinary deadline. */
  public AgentServiceGrpc.AgentServiceBlockingStub blocking(String host) {
    return blocking(host, callTimeout);
  }

  public AgentServiceGrpc.AgentServiceBlockingStub blocking(String host, Duration timeout) {
    return AgentServiceGrpc.newBlockingStub(channel(host)).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** An async stub to {@code host} with no deadline: the caller sets one (streams). */
  public AgentServiceGrpc.AgentServiceStub async(String host) {
    return AgentServiceGrpc.newStub(channel(host));
  }

  /** A blocking stub to {@code host}'s migration service with {@code timeout} as deadline. */
  public MigrationServiceGrpc.MigrationServiceBlockingStub migration(String host, Duration timeout) {
    return MigrationServiceGrpc.newBlockingStub(channel(host)).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** An async stub to {@code host}'s migration service with no deadline: the caller sets one. */
  public MigrationServiceGrpc.MigrationServiceStub migrationAsync(String host) {
    return MigrationServiceGrpc.newStub(channel(host));
  }

  /** The gRPC address ({@code host:port}) of {@code host}'s agent. */
  public String address(String host) {
    return membership.host(host)
        .orElseThrow(() -> new CoordinatorException(CoordinatorException.Kind.NOT_FOUND, "no host " + host + " in the cluster"))
        .registration()
        .address();
  }

  public Duration callTimeout() {
    return callTimeout;
  }

  /** The channel to {@code host}'s agent. */
  public ManagedChannel channel(String host) {
    HostMember member =
        membership.host(host).orElseThrow(() -> new CoordinatorException(CoordinatorException.Kind.NOT_FOUND, "no host " + host + " in the cluster"));
    if (!member.live()) {
      throw new CoordinatorException(CoordinatorException.Kind.UNAVAILABLE, "host " + host + " is offline");
    }
    String address = member.registration().address();
    return channels.computeIfAbsent(address, a -> NettyChannelBuilder.forTarget(a, tls.channelCredentials()).build());
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    channels.clear();
  }
}
