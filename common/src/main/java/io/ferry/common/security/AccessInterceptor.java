package io.ferry.common.security;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.function.Supplier;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates and authorizes every call of the services it intercepts, before any of their code
 * runs:
 *
 * <ol>
 *   <li>the peer's certificate is read from the call's TLS session ({@link
 *       Grpc#TRANSPORT_ATTR_SSL_SESSION}); no TLS session or no peer certificate: {@code
 *       UNAUTHENTICATED} (a server built without {@link MutualTls} is refused here too);
 *   <li>the certificate's {@link Identity} is read ({@link CertificateIdentity}); none: {@code
 *       UNAUTHENTICATED};
 *   <li>its serial is checked against the revocation list in force, so a certificate revoked
 *       while its connection stays open loses access at its next call ({@code UNAUTHENTICATED});
 *       the handshake checks of {@link ClusterTrustManager} cover new connections;
 *   <li>the {@link AccessPolicy} decides; a refusal is {@code PERMISSION_DENIED} saying who may
 *       not call what.
 * </ol>
 *
 * Every refusal is logged at WARN with the identity (or remote address) and the method. An
 * accepted call runs with its identity in {@link #IDENTITY} ({@link #currentIdentity()}).
 * Thread-safe; one instance serves every service of a server.
 */
public final class AccessInterceptor implements ServerInterceptor {

  /** The caller's identity, set in the gRPC {@link Context} of every accepted call. */
  public static final Context.Key<Identity> IDENTITY = Context.key("ferry-identity");
  /** The serial of the certificate the caller presented, beside {@link #IDENTITY}. */
  public static final Context.Key<java.math.BigInteger> SERIAL = Context.key("ferry-certificate-serial");

  private static final Logger log = LoggerFactory.getLogger(AccessInterceptor.class);

  private final AccessPolicy policy;
  private final Supplier<RevocationList> revocations;

  public AccessInterceptor(AccessPolicy policy, Supplier<RevocationList> revocations) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.revocations = Objects.requireNonNull(revocations, "revocations");
  }

  /**
   * The identity of the call running on this thread.
   *
   * @throws IllegalStateException outside a call accepted by an {@link AccessInterceptor}
   */
  public static Identity currentIdentity() {
    Identity identity = IDENTITY.get();
    if (identity == null) {
      throw new IllegalStateException("no authenticated caller: the service is not behind an AccessInterceptor");
    }
    return identity;
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    X509Certificate certificate = peerCertificate(call);
    if (certificate == null) {
      return refuseUnauthenticated(call, method, "no client certificate: Ferry requires mutual TLS");
    }
    Identity identity;
    try {
      identity = CertificateIdentity.of(certificate);
    } catch (CredentialsException e) {
      return refuseUnauthenticated(call, method, "the client certificate is not a Ferry identity: " + e.getMessage());
    }
    if (revocations.get().isRevoked(certificate.getSerialNumber())) {
      return refuse(call, method, identity, Status.UNAUTHENTICATED.withDescription("the certificate of " + identity + " is revoked"));
    }
    AccessPolicy.Verdict verdict = policy.check(method, identity.role());
    switch (verdict) {
      case ALLOWED:
        return Contexts.interceptCall(
            Context.current().withValue(IDENTITY, identity).withValue(SERIAL, certificate.getSerialNumber()), call, headers, next);
      case ROLE_NOT_ALLOWED:
        return refuse(call, method, identity,
            Status.PERMISSION_DENIED.withDescription(
                "role " + identity.role().certificateName() + " of " + identity.name() + " may not call " + method
                    + " (allowed: " + policy.rolesFor(method).orElseThrow() + ")"));
      case NOT_IN_POLICY:
        return refuse(call, method, identity,
            Status.PERMISSION_DENIED.withDescription(method + " is not in the access policy: denied to everyone"));
      default:
        throw new AssertionError(verdict);
    }
  }

  private static X509Certificate peerCertificate(ServerCall<?, ?> call) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return null;
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate x509 ? x509 : null;
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }

  private static <Q, A> ServerCall.Listener<Q> refuseUnauthenticated(ServerCall<Q, A> call, String method, String why) {
    Object remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    log.atWarn()
        .addKeyValue("remote", remote)
        .addKeyValue("method", method)
        .log("refused unauthenticated call to {} from {}: {}", method, remote, why);
    call.close(Status.UNAUTHENTICATED.withDescription(why), new Metadata());
    return new ServerCall.Listener<>() {};
  }

  private static <Q, A> ServerCall.Listener<Q> refuse(ServerCall<Q, A> call, String method, Identity identity, Status status) {
    log.atWarn()
        .addKeyValue("identity", identity)
        .addKeyValue("method", method)
        .addKeyValue("status", status.getCode())
        .log("refused {} calling {}: {}", identity, method, status.getDescription());
    call.close(status, new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
