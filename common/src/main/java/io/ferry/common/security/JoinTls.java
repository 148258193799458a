package io.ferry.common.security;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The TLS of the join endpoint, the one place in Ferry where a client has no certificate: a host
 * that joins has only its join token. Its server credentials authenticate the coordinator (its host
 * certificate) and ask nothing of the client, so a server built with them must serve the Join RPC
 * and nothing else; the token is the client's credential. The joining host trusts the coordinator
 * only when the chain it presents contains the CA whose SHA-256 fingerprint the token pins, and
 * the coordinator's certificate passes every check of {@link ClusterTrustManager} under that CA.
 */
public final class JoinTls {

  private JoinTls() {}

  /** Server credentials presenting {@code hostKey} (whose chain must include the CA), no client authentication. */
  public static ServerCredentials serverCredentials(CertifiedKey hostKey) {
    if (hostKey.identity().role() != Role.HOST) {
      throw new IllegalArgumentException("the join endpoint presents a host certificate, not " + hostKey.identity());
    }
    return TlsServerCredentials.newBuilder()
        .keyManager(hostKey.keyManagers())
        .clientAuth(TlsServerCredentials.ClientAuth.NONE)
        .build();
  }

  /** Channel credentials with no client certificate, trusting only a server chained to the CA with {@code caFingerprint}. */
  public static ChannelCredentials channelCredentials(String caFingerprint, Clock clock) {
    return TlsChannelCredentials.newBuilder().trustManager(new PinnedAuthority(caFingerprint, clock)).build();
  }

  /** The CA certificate with {@code fingerprint} in {@code chain}, if there. */
  public static Optional<X509Certificate> pinned(X509Certificate[] chain, String fingerprint) {
    for (X509Certificate certificate : chain) {
      if (CertificateAuthority.fingerprint(certificate).equals(fingerprint) && certificate.getBasicConstraints() >= 0) {
        return Optional.of(certificate);
      }
    }
    return Optional.empty();
  }

  /** Finds the pinned CA in the server's chain, then applies {@link ClusterTrustManager} anchored to it. */
  private static final class PinnedAuthority extends X509ExtendedTrustManager {
    private final String fingerprint;
    private final Clock clock;

    PinnedAuthority(String fingerprint, Clock clock) {
      this.fingerprint = fingerprint;
      this.clock = clock;
    }

    private ClusterTrustManager anchored(X509Certificate[] chain) throws CertificateException {
      X509Certificate authority = pinned(chain, fingerprint)
          .orElseThrow(() -> new CertificateException("the server's chain does not contain the CA pinned by the join token (sha256:" + fingerprint + ")"));
      return new ClusterTrustManager(authority, RevocationList::empty, clock);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      anchored(chain).checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      anchored(chain).checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      anchored(chain).checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("a joining host checks servers only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      throw new CertificateException("a joining host checks servers only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      throw new CertificateException("a joining host checks servers only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
