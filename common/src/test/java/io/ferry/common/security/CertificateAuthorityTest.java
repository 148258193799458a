package io.ferry.common.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {

  private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  @TempDir Path directory;

  @Test
  void createsTheKeyFileWithMode0600AndLoadsTheSameCaBack() throws Exception {
    Path ca = directory.resolve("ca");
    CertificateAuthority created = CertificateAuthority.create(ca, CertificateValidity.DEFAULTS, CLOCK);

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(ca.resolve(CertificateAuthority.KEY_FILE)))).isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(ca))).isEqualTo("rwx------");
    CertificateAuthority loaded = CertificateAuthority.load(ca, CertificateValidity.DEFAULTS, CLOCK);
    assertThat(loaded.certificate()).isEqualTo(created.certificate());
    assertThat(loaded.fingerprint()).isEqualTo(created.fingerprint()).hasSize(64);
    // The loaded key signs certificates that verify with the CA certificate.
    X509Certificate leaf = loaded.issueClient(new Identity("alice", Role.ADMIN)).certifiedKey().certificate();
    assertThat(leaf.getIssuerX500Principal()).isEqualTo(created.certificate().getSubjectX500Principal());
    leaf.verify(created.certificate().getPublicKey()); // throws when the loaded key is not the CA's
  }

  @Test
  void theCaCertificateIsACaValidForTenYears() throws IOException {
    X509Certificate ca = CertificateAuthority.create(directory.resolve("ca"), CertificateValidity.DEFAULTS, CLOCK).certificate();

    assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    assertThat(ca.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(3650)));
    assertThat(ca.getPublicKey().getAlgorithm()).isEqualTo("EC");
  }

  @Test
  void refusesToCreateWhereACaAlreadyIsAndLeavesItUntouched() throws IOException {
    Path ca = directory.resolve("ca");
    CertificateAuthority first = CertificateAuthority.create(ca, CertificateValidity.DEFAULTS, CLOCK);
    String keyBefore = Files.readString(ca.resolve(CertificateAuthority.KEY_FILE));

    assertThatThrownBy(() -> CertificateAuthority.create(ca, CertificateValidity.DEFAULTS, CLOCK))
        .isInstanceOf(CredentialsException.class)
        .hasMessageContaining("already holds a Ferry CA");
    assertThat(Files.readString(ca.resolve(CertificateAuthority.KEY_FILE))).isEqualTo(keyBefore);
    assertThat(CertificateAuthority.load(ca, CertificateValidity.DEFAULTS, CLOCK).certificate()).isEqualTo(first.certificate());
  }

  @Test
  void refusesToLoadAKeyThatOthersCanRead() throws IOException {
    Path ca = directory.resolve("ca");
    CertificateAuthority.create(ca, CertificateValidity.DEFAULTS, CLOCK);
    Files.setPosixFilePermissions(ca.resolve(CertificateAuthority.KEY_FILE), PosixFilePermissions.fromString("rw-r--r--"));

    assertThatThrownBy(() -> CertificateAuthority.load(ca, CertificateValidity.DEFAULTS, CLOCK))
        .isInstanceOf(CredentialsException.class)
        .hasMessageContaining("accessible by others");
  }

  @Test
  void refusesToLoadAKeyThatIsNotTheCertificates() throws IOException {
    Path one = directory.resolve("one");
    Path two = directory.resolve("two");
    CertificateAuthority.create(one, CertificateValidity.DEFAULTS, CLOCK);
    CertificateAuthority.create(two, CertificateValidity.DEFAULTS, CLOCK);
    Files.delete(one.resolve(CertificateAuthority.KEY_FILE));
    Files.copy(two.resolve(CertificateAuthority.KEY_FILE), one.resolve(CertificateAuthority.KEY_FILE));

    assertThatThrownBy(() -> CertificateAuthority.load(one, CertificateValidity.DEFAULTS, CLOCK))
        .isInstanceOf(CredentialsException.class)
        .hasMessageContaining("is not the key of");
  }

  @Test
  void aHostCertificateCarriesItsNameAddressesAndTheHostRole() throws Exception {
    CertificateAuthority ca = CertificateAuthority.create(directory.resolve("ca"), CertificateValidity.DEFAULTS, CLOCK);

    IssuedCertificate issued = ca.issueHost("web-1", List.of("web-1.example.org", "10.0.0.5", "::1"));

    CertifiedKey key = issued.certifiedKey();
    assertThat(key.identity()).isEqualTo(Identity.host("web-1"));
    assertThat(key.chain()).hasSize(2).last().isEqualTo(ca.certificate());
    assertThat(key.certificate().getSubjectAlternativeNames().stream().map(n -> n.get(1).toString()).collect(Collectors.toList()))
        .containsExactlyInAnyOrder("web-1", "web-1.example.org", "10.0.0.5", "0:0:0:0:0:0:0:1", "ferry:role:host");
    assertThat(key.certificate().getExtendedKeyUsage()).containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
    assertThat(issued.notAfter()).isEqualTo(NOW.plus(Duration.ofDays(365)));
    assertThat(key.certificate().getNotBefore().toInstant()).isEqualTo(NOW.minus(CertificateAuthority.CLOCK_SKEW));
  }

  @Test
  void aClientCertificateIsForTlsClientsOnlyAndCarriesItsRole() throws Exception {
    CertificateAuthority ca = CertificateAuthority.create(directory.resolve("ca"), CertificateValidity.DEFAULTS, CLOCK);

    X509Certificate leaf = ca.issueClient(new Identity("olga", Role.OPERATOR)).certifiedKey().certificate();

    assertThat(CertificateIdentity.of(leaf)).isEqualTo(new Identity("olga", Role.OPERATOR));
    assertThat(leaf.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
    assertThat(leaf.getSubjectAlternativeNames().stream().map(n -> n.get(1).toString())).containsExactly("ferry:role:operator");
    assertThatThrownBy(() -> ca.issueClient(Identity.host("web-1"))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void serialsAreRandomPositiveAndAtMost128Bits() throws IOException {
    CertificateAuthority ca = CertificateAuthority.create(directory.resolve("ca"), CertificateValidity.DEFAULTS, CLOCK);

    List<BigInteger> serials = List.of(
        ca.issueClient(new Identity("a", Role.VIEWER)).serial(),
        ca.issueClient(new Identity("a", Role.VIEWER)).serial(),
        ca.issueHost("h", List.of()).serial());

    assertThat(serials).doesNotHaveDuplicates().allSatisfy(s -> assertThat(s.signum()).isPositive());
    assertThat(serials).allSatisfy(s -> assertThat(s.bitLength()).isLessThanOrEqualTo(128));
    assertThat(serials.stream().mapToInt(BigInteger::bitLength).max().orElseThrow()).isGreaterThan(100);
  }

  @Test
  void aLeafNeverOutlivesTheCa() throws IOException {
    CertificateValidity shortCa = new CertificateValidity(Duration.ofDays(30), Duration.ofDays(365), Duration.ofDays(365));
    CertificateAuthority ca = CertificateAuthority.create(directory.resolve("ca"), shortCa, CLOCK);

    assertThat(ca.issueHost("h", List.of()).notAfter()).isEqualTo(ca.certificate().getNotAfter().toInstant());
  }

  @Test
  void refusesAddressesThatAreNeitherIpNorDnsNames() throws IOException {
    CertificateAuthority ca = CertificateAuthority.create(directory.resolve("ca"), CertificateValidity.DEFAULTS, CLOCK);

    assertThatThrownBy(() -> ca.issueHost("h", List.of("Bad_Name"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ca.issueHost("h", List.of("300.1.1.1"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ca.issueHost("h", List.of("ferry:role:admin"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ca.issueHost("Not-A-Label", List.of())).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void issuedKeysAreWrittenWithMode0600AndLoadBack() throws IOException {
    CertificateAuthority ca = CertificateAuthority.create(directory.resolve("ca"), CertificateValidity.DEFAULTS, CLOCK);
    IssuedCertificate issued = ca.issueClient(new Identity("alice", Role.ADMIN));

    issued.writeTo(directory.resolve("alice.crt"), directory.resolve("alice.key"));

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(directory.resolve("alice.key")))).isEqualTo("rw-------");
    assertThat(CertifiedKey.load(directory.resolve("alice.crt"), directory.resolve("alice.key")).identity())
        .isEqualTo(new Identity("alice", Role.ADMIN));
    assertThat(issued.toString()).doesNotContain("PRIVATE");
  }
}
