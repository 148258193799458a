package io.ferry.common.security;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateRevokedException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The handshake decisions of {@link ClusterTrustManager}, one chain at a time. */
class ClusterTrustManagerTest {

  private static final String AUTH = "ECDHE_ECDSA";

  @TempDir Path directory;

  private CertificateAuthority authority;
  private Revocations revocations;

  @BeforeEach
  void createCa() throws IOException {
    authority = CertificateAuthority.create(directory.resolve("ca"), CertificateValidity.DEFAULTS, Clock.systemUTC());
    revocations = Revocations.inMemory(RevocationList.empty(), Clock.systemUTC());
  }

  @Test
  void acceptsAClusterClientAndRefusesItOnceRevoked() throws Exception {
    IssuedCertificate issued = authority.issueClient(new Identity("alice", Role.ADMIN));
    ClusterTrustManager trust = new ClusterTrustManager(authority.certificate(), revocations, Clock.systemUTC());
    X509Certificate[] chain = chain(issued);

    assertThatCode(() -> trust.checkClientTrusted(chain, AUTH)).doesNotThrowAnyException();

    revocations.revoke(issued.serial(), RevocationReason.ACCESS_WITHDRAWN);

    assertThatThrownBy(() -> trust.checkClientTrusted(chain, AUTH)).isInstanceOf(CertificateRevokedException.class);
  }

  @Test
  void refusesAChainFromAnotherCa() throws Exception {
    CertificateAuthority other = CertificateAuthority.create(directory.resolve("other"), CertificateValidity.DEFAULTS, Clock.systemUTC());
    ClusterTrustManager trust = new ClusterTrustManager(authority.certificate(), revocations, Clock.systemUTC());

    X509Certificate[] foreign = chain(other.issueClient(new Identity("alice", Role.ADMIN)));

    assertThatThrownBy(() -> trust.checkClientTrusted(foreign, AUTH)).hasMessageContaining("PKIX");
  }

  @Test
  void refusesALeafExpiredByTheInjectedClock() {
    X509Certificate[] chain = chain(authority.issueClient(new Identity("alice", Role.ADMIN)));
    Clock twoYearsOn = Clock.fixed(Instant.now().plus(Duration.ofDays(730)), ZoneOffset.UTC);
    ClusterTrustManager trust = new ClusterTrustManager(authority.certificate(), revocations, twoYearsOn);

    assertThatThrownBy(() -> trust.checkClientTrusted(chain, AUTH)).isInstanceOf(CertificateExpiredException.class);
  }

  @Test
  void refusesALeafThePkixCheckFindsExpired() throws IOException {
    Clock twoYearsAgo = Clock.fixed(Instant.now().minus(Duration.ofDays(730)), ZoneOffset.UTC);
    CertificateAuthority old = CertificateAuthority.load(directory.resolve("ca"), CertificateValidity.DEFAULTS, twoYearsAgo);
    X509Certificate[] chain = chain(old.issueClient(new Identity("alice", Role.ADMIN)));
    ClusterTrustManager trust = new ClusterTrustManager(authority.certificate(), revocations, Clock.systemUTC());

    assertThatThrownBy(() -> trust.checkClientTrusted(chain, AUTH)).hasMessageContaining("PKIX");
  }

  @Test
  void aServerMustPresentAHostIdentity() {
    X509Certificate[] client = chain(authority.issueClient(new Identity("alice", Role.ADMIN)));
    X509Certificate[] host = chain(authority.issueHost("web-1", List.of()));
    ClusterTrustManager trust = new ClusterTrustManager(authority.certificate(), revocations, Clock.systemUTC());

    // A client certificate fails the PKIX extended key usage check (TLS client only) before ours.
    assertThatThrownBy(() -> trust.checkServerTrusted(client, AUTH)).isInstanceOf(java.security.cert.CertificateException.class);
    assertThatCode(() -> trust.checkServerTrusted(host, AUTH)).doesNotThrowAnyException();
  }

  @Test
  void theFerryCheckRefusesAServerWithAClientRoleEvenIfPkixPassed() {
    X509Certificate[] client = chain(authority.issueClient(new Identity("alice", Role.ADMIN)));
    ClusterTrustManager trust = new ClusterTrustManager(authority.certificate(), revocations, Clock.systemUTC());

    assertThatThrownBy(() -> trust.checkFerry(client, true)).hasMessageContaining("not a host certificate");
    assertThatCode(() -> trust.checkFerry(client, false)).doesNotThrowAnyException();
  }

  @Test
  void onlyTheClusterCaIsAnAcceptedIssuer() {
    ClusterTrustManager trust = new ClusterTrustManager(authority.certificate(), revocations, Clock.systemUTC());

    org.assertj.core.api.Assertions.assertThat(trust.getAcceptedIssuers()).containsExactly(authority.certificate());
  }

  private static X509Certificate[] chain(IssuedCertificate issued) {
    return Pem.readCertificates(issued.certificateChainPem()).toArray(X509Certificate[]::new);
  }
}
