package io.ferry.common.security;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The cluster's certificate authority: an EC P-256 key and a self-signed certificate, kept as
 * PEM in a directory ({@value #CERTIFICATE_FILE}, and {@value #KEY_FILE} with mode 0600 from its
 * creation), issuing ECDSA P-256/SHA-256 certificates for {@link Identity identities}.
 *
 * <p>What it issues: host certificates (role {@code host}; usable as TLS server and client, the
 * host name as CN and DNS name, plus the addresses the caller gives) and client certificates
 * (roles admin, operator, viewer; TLS client only, no addresses). The role is written as
 * described in {@link CertificateIdentity}. Serial numbers are 128 random bits. Validity starts
 * {@link #CLOCK_SKEW} before issue (hosts' clocks differ) and never ends after the CA's own.
 *
 * <p>Thread-safe once created or loaded; it holds no mutable state. Issuing does not record
 * anything: whoever issues keeps the serials it needs to revoke.
 */
public final class CertificateAuthority {

  /** The CA certificate's file name in its directory. */
  public static final String CERTIFICATE_FILE = "ca.crt";

  /** The CA private key's file name in its directory (mode 0600). */
  public static final String KEY_FILE = "ca.key";

  /** How far back a new certificate's validity starts, for hosts whose clocks run behind. */
  public static final Duration CLOCK_SKEW = Duration.ofMinutes(5);

  private static final String SIGNATURE = "SHA256withECDSA";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final X509Certificate certificate;
  private final PrivateKey key;
  private final CertificateValidity validity;
  private final Clock clock;

  private CertificateAuthority(X509Certificate certificate, PrivateKey key, CertificateValidity validity, Clock clock) {
    this.certificate = certificate;
    this.key = key;
    this.validity = validity;
    this.clock = clock;
  }

  /** True when {@code directory} holds a CA certificate or key (even a half-written one). */
  public static boolean existsIn(Path directory) {
    return Files.exists(directory.resolve(CERTIFICATE_FILE)) || Files.exists(directory.resolve(KEY_FILE));
  }

  /**
   * Creates a new CA in {@code directory} (made with mode 0700 when missing). Its subject names a
   * random cluster id, so two clusters' CAs never share a name.
   *
   * @throws CredentialsException when the directory already holds a CA; it is left untouched
   * @throws IOException when the files cannot be written (nothing is left behind)
   */
  public static CertificateAuthority create(Path directory, CertificateValidity validity, Clock clock) throws IOException {
    if (existsIn(directory)) {
      throw new CredentialsException(directory + " already holds a Ferry CA (" + CERTIFICATE_FILE + " or " + KEY_FILE + ")");
    }
    SecureFiles.createPrivateDirectory(directory);
    KeyPair pair = newKeyPair();
    Instant now = clock.instant();
    X500Name subject =
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.O, "Ferry")
            .addRDN(BCStyle.CN, "Ferry cluster CA " + HexFormat.of().formatHex(randomBytes(4)))
            .build();
    X509Certificate certificate;
    try {
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
                  subject, randomSerial(), Date.from(now.minus(CLOCK_SKEW)), Date.from(now.plus(validity.ca())), subject, pair.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
              .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
              .addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(pair.getPublic()));
      certificate = sign(builder, pair.getPrivate());
    } catch (GeneralSecurityException | CertIOException e) {
      throw new CredentialsException("cannot create the CA certificate: " + e.getMessage(), e);
    }
    Path keyFile = directory.resolve(KEY_FILE);
    SecureFiles.createPrivate(keyFile, Pem.privateKey(pair.getPrivate()));
    try {
      SecureFiles.createPublic(directory.resolve(CERTIFICATE_FILE), Pem.certificates(List.of(certificate)));
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(keyFile);
      throw e;
    }
    return new CertificateAuthority(certificate, pair.getPrivate(), validity, clock);
  }

  /**
   * Loads the CA in {@code directory}.
   *
   * @throws IOException when a file is missing or unreadable
   * @throws CredentialsException when a file is malformed, the key is readable by others, the
   *     certificate is not a CA, or the key does not belong to the certificate
   */
  public static CertificateAuthority load(Path directory, CertificateValidity validity, Clock clock) throws IOException {
    CertifiedKey loaded = CertifiedKey.load(directory.resolve(CERTIFICATE_FILE), directory.resolve(KEY_FILE));
    X509Certificate certificate = loaded.certificate();
    if (certificate.getBasicConstraints() < 0) {
      throw new CredentialsException(directory.resolve(CERTIFICATE_FILE) + " is not a CA certificate");
    }
    CertificateAuthority authority = new CertificateAuthority(certificate, loaded.privateKey(), validity, clock);
    authority.checkKeyMatches(directory);
    return authority;
  }

  /** The CA's self-signed certificate: the one trust anchor of the cluster. */
  public X509Certificate certificate() {
    return certificate;
  }

  /** The CA certificate as PEM. */
  public String certificatePem() {
    return Pem.certificates(List.of(certificate));
  }

  /**
   * The SHA-256 of the CA certificate's DER, lower-case hex: what a joining host pins before it
   * trusts a coordinator it has never seen.
   */
  public String fingerprint() {
    return fingerprint(certificate);
  }

  /** The SHA-256 fingerprint of {@code certificate}'s DER, lower-case hex. */
  public static String fingerprint(X509Certificate certificate) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new CredentialsException("cannot fingerprint a certificate: " + e.getMessage(), e);
    }
  }

  /**
   * Issues a host certificate with a new key pair.
   *
   * @param addresses DNS names and IP literals the host is reached at (the host name is always
   *     added as a DNS name)
   * @throws IllegalArgumentException when the host name is not a DNS label or an address is
   *     neither an IP literal nor a DNS name
   */
  public IssuedCertificate issueHost(String hostName, List<String> addresses) {
    KeyPair pair = newKeyPair();
    SignedCertificate signed = signHost(hostName, pair.getPublic(), addresses);
    return new IssuedCertificate(signed.certificateChainPem(), Pem.privateKey(pair.getPrivate()), signed.serial(), signed.notAfter());
  }

  /**
   * Signs a host certificate for a key the host generated (see {@link JoinTokens}).
   *
   * @throws IllegalArgumentException as {@link #issueHost}
   */
  public SignedCertificate signHost(String hostName, PublicKey publicKey, List<String> addresses) {
    Identity identity = Identity.host(hostName);
    List<String> all = new ArrayList<>();
    all.add(hostName);
    addresses.stream().filter(a -> !a.equals(hostName)).forEach(all::add);
    List<GeneralName> names = new ArrayList<>(SubjectAltNames.of(all));
    X509Certificate leaf =
        issue(identity, publicKey, names, new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth});
    return signed(leaf);
  }

  /**
   * Issues a client certificate with a new key pair for a person or script.
   *
   * @throws IllegalArgumentException when the identity's role is {@link Role#HOST}
   */
  public IssuedCertificate issueClient(Identity identity) {
    if (!identity.role().isClientRole()) {
      throw new IllegalArgumentException("host certificates are issued with issueHost, not issueClient");
    }
    KeyPair pair = newKeyPair();
    SignedCertificate signed = signClient(identity, pair.getPublic());
    return new IssuedCertificate(signed.certificateChainPem(), Pem.privateKey(pair.getPrivate()), signed.serial(), signed.notAfter());
  }

  /**
   * Signs a client certificate for a key the client made (its private key never reaches the CA).
   *
   * @throws IllegalArgumentException when the identity's role is {@link Role#HOST}
   */
  public SignedCertificate signClient(Identity identity, PublicKey publicKey) {
    if (!identity.role().isClientRole()) {
      throw new IllegalArgumentException("host certificates are issued with signHost, not signClient");
    }
    return signed(issue(identity, publicKey, new ArrayList<>(), new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth}));
  }

  private SignedCertificate signed(X509Certificate leaf) {
    return new SignedCertificate(Pem.certificates(List.of(leaf, certificate)), leaf.getSerialNumber(), leaf.getNotAfter().toInstant());
  }

  private X509Certificate issue(Identity identity, PublicKey publicKey, List<GeneralName> names, KeyPurposeId[] purposes) {
    Instant now = clock.instant();
    Instant notAfter = now.plus(validity.forRole(identity.role()));
    Instant caNotAfter = certificate.getNotAfter().toInstant();
    if (notAfter.isAfter(caNotAfter)) {
      notAfter = caNotAfter;
    }
    if (!notAfter.isAfter(now)) {
      throw new CredentialsException("the CA expired at " + caNotAfter + ": it cannot issue certificates");
    }
    names.add(new GeneralName(GeneralName.uniformResourceIdentifier, CertificateIdentity.roleUri(identity.role())));
    X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, identity.name()).build();
    try {
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
                  certificate, randomSerial(), Date.from(now.minus(CLOCK_SKEW)), Date.from(notAfter), subject, publicKey)
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
              .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes))
              .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)))
              .addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(publicKey))
              .addExtension(Extension.authorityKeyIdentifier, false, extensions.createAuthorityKeyIdentifier(certificate));
      return sign(builder, key);
    } catch (GeneralSecurityException | CertIOException e) {
      throw new CredentialsException("cannot issue a certificate for " + identity + ": " + e.getMessage(), e);
    }
  }

  private void checkKeyMatches(Path directory) {
    try {
      X509Certificate probe =
          sign(
              new JcaX509v3CertificateBuilder(
                  new X500Name("CN=probe"), BigInteger.ONE, new Date(), new Date(), new X500Name("CN=probe"), certificate.getPublicKey()),
              key);
      probe.verify(certificate.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new CredentialsException(directory.resolve(KEY_FILE) + " is not the key of " + directory.resolve(CERTIFICATE_FILE), e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signingKey) throws CertificateException {
    try {
      return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder(SIGNATURE).build(signingKey)));
    } catch (OperatorCreationException e) {
      throw new CertificateException("cannot sign with the CA key: " + e.getMessage(), e);
    }
  }

  /** A new EC P-256 key pair. */
  static KeyPair newKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new CredentialsException("this JDK cannot make EC P-256 keys: " + e.getMessage(), e);
    }
  }

  /** A positive, non-zero serial of 128 random bits. */
  static BigInteger randomSerial() {
    BigInteger serial;
    do {
      serial = new BigInteger(1, randomBytes(16));
    } while (serial.signum() == 0);
    return serial;
  }

  private static byte[] randomBytes(int count) {
    byte[] bytes = new byte[count];
    RANDOM.nextBytes(bytes);
    return bytes;
  }

  @Override
  public String toString() {
    return "CertificateAuthority[" + certificate.getSubjectX500Principal().getName() + "]";
  }
}
