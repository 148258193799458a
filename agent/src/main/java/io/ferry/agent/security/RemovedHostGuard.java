package io.ferry.agent.security;

import io.ferry.common.security.ClusterTls;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.math.BigInteger;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A host removed from the cluster ({@code ferry host remove}: its own certificate is in the
 * revocation list) stops serving: every call but health is refused with UNAVAILABLE. Peers refuse
 * its certificate already; this covers connections a coordinator opened to it before the
 * revocation, which TLS never re-checks, so no new work reaches a removed host.
 */
public final class RemovedHostGuard implements ServerInterceptor {

  private static final Logger log = LoggerFactory.getLogger(RemovedHostGuard.class);

  private final ClusterTls tls;
  private final BigInteger serial;
  private final AtomicBoolean announced = new AtomicBoolean();

  public RemovedHostGuard(ClusterTls tls) {
    this.tls = tls;
    this.serial = tls.key().certificate().getSerialNumber();
  }

  /** True once this host's own certificate is revoked. */
  public boolean removed() {
    return tls.revocations().get().isRevoked(serial);
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    if (removed()) {
      if (announced.compareAndSet(false, true)) {
        log.warn("this host's certificate {} is revoked: it was removed from the cluster and refuses every call", serial.toString(16));
      }
      call.close(Status.UNAVAILABLE.withDescription(
          "host " + tls.identity().name() + " was removed from the cluster (its certificate is revoked)"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return next.startCall(call, headers);
  }
}
