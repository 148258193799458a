package io.ferry.common.security;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * gRPC credentials for mutual TLS inside a Ferry cluster, and nothing else: every credential made
 * here presents a certificate and checks the peer's with a {@link ClusterTrustManager}. There is
 * no plaintext or one-way option, so a server or channel built from these cannot fall back to
 * either. Use them with the transport-neutral builders:
 *
 * <pre>{@code
 * Server server = Grpc.newServerBuilderForPort(port, MutualTls.serverCredentials(hostKey, trust))
 *     .addService(ServerInterceptors.intercept(service, new AccessInterceptor(policy, revocations)))
 *     .build();
 * ManagedChannel channel = Grpc.newChannelBuilder("coordinator-1:7700",
 *     MutualTls.channelCredentials(clientKey, trust)).build();
 * }</pre>
 *
 * The transport (grpc-netty-shaded) comes from the module that builds servers and channels.
 */
public final class MutualTls {

  private MutualTls() {}

  /**
   * Server credentials that present {@code hostKey} and REQUIRE a client certificate accepted by
   * {@code trust}: a client with no certificate, a foreign one or a revoked one fails the
   * handshake.
   *
   * @throws IllegalArgumentException when {@code hostKey} is not a host certificate, or was not
   *     issued by {@code trust}'s CA (a server that peers could never verify)
   */
  public static ServerCredentials serverCredentials(CertifiedKey hostKey, ClusterTrustManager trust) {
    requireIssuedBy(hostKey, trust);
    Identity identity = hostKey.identity();
    if (identity.role() != Role.HOST) {
      throw new IllegalArgumentException("a server presents a host certificate, not " + identity);
    }
    return TlsServerCredentials.newBuilder()
        .keyManager(hostKey.keyManagers())
        .trustManager(trust)
        .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
        .build();
  }

  /**
   * Channel credentials that present {@code key} (a client's or a host's) and accept only a
   * server whose host certificate {@code trust} accepts, for the address dialled.
   *
   * @throws IllegalArgumentException when {@code key} was not issued by {@code trust}'s CA
   */
  public static ChannelCredentials channelCredentials(CertifiedKey key, ClusterTrustManager trust) {
    requireIssuedBy(key, trust);
    return TlsChannelCredentials.newBuilder().keyManager(key.keyManagers()).trustManager(trust).build();
  }

  private static void requireIssuedBy(CertifiedKey key, ClusterTrustManager trust) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(trust, "trust");
    X509Certificate leaf = key.certificate();
    try {
      leaf.verify(trust.authority().getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "certificate " + leaf.getSubjectX500Principal().getName() + " was not issued by the cluster CA "
              + trust.authority().getSubjectX500Principal().getName(),
          e);
    }
  }
}
