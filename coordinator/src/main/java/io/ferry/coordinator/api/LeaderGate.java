package io.ferry.coordinator.api;

import io.ferry.coordinator.CoordinatorException;
import io.ferry.coordinator.cluster.Leadership;
import io.ferry.coordinator.store.ClusterStore;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.ferry.common.security.AccessInterceptor;
import io.ferry.common.security.ClusterTls;
import io.ferry.common.security.Identity;
import io.ferry.common.security.Role;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where writes run: on the leader. A follower forwards a write to the leader it knows (its API
 * address announced in ZooKeeper) and relays the answer; a call that was already forwarded once
 * is not forwarded again but refused with UNAVAILABLE {@code not the leader; leader is ADDRESS},
 * so two coordinators with different ideas of the leader cannot bounce a call between them.
 *
 * <p>Forwarding uses mutual TLS with the coordinator's own host certificate. On the receiving side
 * a caller with a host identity is accepted only when its call is marked forwarded and it is a
 * live coordinator of this cluster (its presence node exists): an agent's certificate cannot
 * drive the public API, even on the write methods the access policy opens to hosts for forwarding.
 *
 * <p>The forwarded call keeps the client's deadline (gRPC propagates it through the context).
 */
final class LeaderGate implements ServerInterceptor, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(LeaderGate.class);
  private static final Metadata.Key<String> FORWARDED = Metadata.Key.of("ferry-forwarded-by", Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<Boolean> WAS_FORWARDED = Context.key("ferry-was-forwarded");

  private static final int FORWARD_CONNECT_TIMEOUT_MILLIS = 2_000;

  private final Leadership leadership;
  private final ClusterStore store;
  private final String selfId;
  private final ClusterTls tls;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

  LeaderGate(Leadership leadership, ClusterStore store, String selfId, ClusterTls tls) {
    this.leadership = leadership;
    this.store = store;
    this.selfId = selfId;
    this.tls = tls;
  }

  /**
   * Runs {@code local} here when leading, else {@code remote} against the leader's channel, and
   * answers {@code response} with the result.
   */
  <T> void write(StreamObserver<T> response, Supplier<T> local, Function<Channel, T> remote) {
    ApiErrors.unary(response, () -> leadership.isLeader() ? local.get() : forward(remote));
  }

  private <T> T forward(Function<Channel, T> remote) {
    Optional<String> leaderId = leadership.leaderId().filter(id -> !id.equals(selfId));
    Optional<String> address = leaderId.flatMap(store::coordinatorAddress);
    if (address.isEmpty() || Boolean.TRUE.equals(WAS_FORWARDED.get())) {
      throw CoordinatorException.notLeader(address);
    }
    // A leader that just died does not answer its address at all (no reset): without a short
    // connect timeout the forward would hang for the transport's default (20 s) before the client
    // learns to retry, while a new leader is usually elected within the session timeout.
    ManagedChannel channel = channels.computeIfAbsent(address.get(), a -> NettyChannelBuilder.forTarget(a, tls.channelCredentials())
        .withOption(io.grpc.netty.shaded.io.netty.channel.ChannelOption.CONNECT_TIMEOUT_MILLIS, FORWARD_CONNECT_TIMEOUT_MILLIS)
        .build());
    log.debug("forwarding a write to the leader {} at {}", leaderId.get(), address.get());
    return remote.apply(io.grpc.ClientInterceptors.intercept(channel, new MarkForwarded()));
  }

  /** Notes on the server side whether a call came forwarded by another coordinator. */
  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    boolean forwarded = headers.containsKey(FORWARDED);
    Identity caller = AccessInterceptor.IDENTITY.get();
    if (caller != null && caller.role() == Role.HOST && !(forwarded && store.coordinatorAddress(caller.name()).isPresent())) {
      log.atWarn().addKeyValue("identity", caller).log("refused {} calling {}: hosts may only forward from a live coordinator",
          caller, call.getMethodDescriptor().getFullMethodName());
      call.close(Status.PERMISSION_DENIED.withDescription(
          caller + " is not a live coordinator forwarding a call: hosts may not call the public API"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    Context context = Context.current().withValue(WAS_FORWARDED, forwarded);
    return Contexts.interceptCall(context, call, headers, next);
  }

  private final class MarkForwarded implements ClientInterceptor {
    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
      CallOptions withDeadline = options.getDeadline() == null ? options.withDeadlineAfter(60, TimeUnit.SECONDS) : options;
      return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, withDeadline)) {
        @Override
        public void start(Listener<R> listener, Metadata headers) {
          headers.put(FORWARDED, selfId);
          super.start(listener, headers);
        }
      };
    }
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
  }
}
