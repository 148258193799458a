package io.ferry.common.security;

import java.math.BigInteger;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CRLReason;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateRevokedException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.Optional;
import java.util.Objects;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, on every TLS handshake, whether the peer's certificate chain is one of this cluster's
 * live certificates. A chain is accepted only when all of these hold:
 *
 * <ol>
 *   <li>standard PKIX validation succeeds with the cluster CA as the <em>only</em> trust anchor
 *       (signatures, validity dates, key usages, extended key usage for the TLS side; the JDK's
 *       host name check of the server's address when the client asked for it, as gRPC does);
 *   <li>no certificate of the chain is in the revocation list in force <em>at this
 *       handshake</em> (read from the supplier each time, so revocations apply without restart);
 *   <li>the leaf is not expired by the injected {@link Clock} (the JDK checks the system clock);
 *   <li>the leaf carries a Ferry identity ({@link CertificateIdentity}); a server's must be a
 *       {@link Role#HOST} identity, so a client certificate can never pose as a server.
 * </ol>
 *
 * Any failure throws {@link CertificateException} with the reason (a {@link
 * CertificateRevokedException} or {@link CertificateExpiredException} where it applies, so the
 * peer gets the matching TLS alert), which aborts the handshake: a gRPC client sees UNAVAILABLE.
 * Every refusal is logged at WARN with the peer's subject and serial. Thread-safe.
 */
public final class ClusterTrustManager extends X509ExtendedTrustManager {

  private static final Logger log = LoggerFactory.getLogger(ClusterTrustManager.class);

  private final X509Certificate authority;
  private final X509ExtendedTrustManager pkix;
  private final Supplier<RevocationList> revocations;
  private final Clock clock;

  /**
   * @param authority the cluster CA certificate, the only anchor
   * @param revocations the list in force, asked on every handshake
   * @param clock the time against which expiry is checked
   */
  public ClusterTrustManager(X509Certificate authority, Supplier<RevocationList> revocations, Clock clock) {
    this.authority = Objects.requireNonNull(authority, "authority");
    this.revocations = Objects.requireNonNull(revocations, "revocations");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.pkix = pkixTrusting(authority);
  }

  /** The CA this trust manager anchors to. */
  public X509Certificate authority() {
    return authority;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    try {
      pkix.checkClientTrusted(chain, authType);
      checkFerry(chain, false);
    } catch (CertificateException e) {
      throw refused("client", chain, e);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    try {
      pkix.checkClientTrusted(chain, authType, socket);
      checkFerry(chain, false);
    } catch (CertificateException e) {
      throw refused("client", chain, e);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    try {
      pkix.checkClientTrusted(chain, authType, engine);
      checkFerry(chain, false);
    } catch (CertificateException e) {
      throw refused("client", chain, e);
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    try {
      pkix.checkServerTrusted(chain, authType);
      checkFerry(chain, true);
    } catch (CertificateException e) {
      throw refused("server", chain, e);
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    try {
      pkix.checkServerTrusted(chain, authType, socket);
      checkFerry(chain, true);
    } catch (CertificateException e) {
      throw refused("server", chain, e);
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    try {
      pkix.checkServerTrusted(chain, authType, engine);
      checkFerry(chain, true);
    } catch (CertificateException e) {
      throw refused("server", chain, e);
    }
  }

  /** Only the cluster CA: clients send certificates it issued. */
  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[] {authority};
  }

  /**
   * The checks beyond PKIX, for a chain that already passed it.
   *
   * @throws CertificateException when a certificate is revoked, the leaf expired, or the leaf
   *     has no Ferry identity (or, for a server, not a host identity)
   */
  void checkFerry(X509Certificate[] chain, boolean server) throws CertificateException {
    RevocationList revoked = revocations.get();
    for (X509Certificate certificate : chain) {
      BigInteger serial = certificate.getSerialNumber();
      Optional<Revocation> revocation = revoked.find(serial);
      if (revocation.isPresent()) {
        // The specific exception type makes the TLS stack send a certificate_revoked alert.
        throw new CertificateRevokedException(
            Date.from(revocation.get().revokedAt()),
            crlReason(revocation.get().reason()),
            authority.getSubjectX500Principal(),
            Map.of());
      }
    }
    X509Certificate leaf = chain[0];
    Instant now = clock.instant();
    if (now.isAfter(leaf.getNotAfter().toInstant())) {
      throw new CertificateExpiredException("certificate " + leaf.getSerialNumber().toString(16) + " expired at " + leaf.getNotAfter().toInstant());
    }
    if (now.isBefore(leaf.getNotBefore().toInstant())) {
      throw new CertificateException("certificate " + leaf.getSerialNumber().toString(16) + " is not valid before " + leaf.getNotBefore().toInstant());
    }
    Identity identity;
    try {
      identity = CertificateIdentity.of(leaf);
    } catch (CredentialsException e) {
      throw new CertificateException("not a Ferry certificate: " + e.getMessage(), e);
    }
    if (server && identity.role() != Role.HOST) {
      throw new CertificateException("server presented " + identity + ", not a host certificate");
    }
  }

  private static CertificateException refused(String side, X509Certificate[] chain, CertificateException e) {
    String subject = chain.length == 0 ? "(no certificate)" : chain[0].getSubjectX500Principal().getName();
    String serial = chain.length == 0 ? "-" : chain[0].getSerialNumber().toString(16);
    log.atWarn()
        .addKeyValue("peer", subject)
        .addKeyValue("serial", serial)
        .log("refused the TLS {} {} (serial {}): {}", side, subject, serial, e.getMessage());
    return e;
  }

  private static CRLReason crlReason(RevocationReason reason) {
    switch (reason) {
      case HOST_REMOVED:
        return CRLReason.CESSATION_OF_OPERATION;
      case KEY_COMPROMISED:
        return CRLReason.KEY_COMPROMISE;
      case SUPERSEDED:
        return CRLReason.SUPERSEDED;
      case ACCESS_WITHDRAWN:
        return CRLReason.PRIVILEGE_WITHDRAWN;
      default:
        throw new AssertionError(reason);
    }
  }

  private static X509ExtendedTrustManager pkixTrusting(X509Certificate authority) {
    try {
      KeyStore anchors = KeyStore.getInstance("PKCS12");
      anchors.load(null, null);
      anchors.setCertificateEntry("ferry-ca", authority);
      TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
      factory.init(anchors);
      for (TrustManager manager : factory.getTrustManagers()) {
        if (manager instanceof X509ExtendedTrustManager extended) {
          return extended;
        }
      }
      throw new CredentialsException("the JDK's PKIX trust manager factory made no X509ExtendedTrustManager");
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new CredentialsException("cannot build a PKIX trust manager for the cluster CA: " + e.getMessage(), e);
    }
  }
}
