package io.ferry.common.security;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * What one Ferry process needs for mutual TLS: its own certified key (a host's or a client's), a
 * {@link ClusterTrustManager} anchored to the cluster CA, and the revocation list in force. Servers
 * and channels are made from it, never by hand, so no Ferry server or channel can be plaintext.
 *
 * <p>The files a process reads ({@link #load}): the CA certificate ({@code ca.crt}), its own chain
 * and key ({@code host.crt}, {@code host.key} for hosts; the key must be 0600). Immutable and
 * thread-safe; the revocation supplier is asked on every handshake and every call.
 *
 * @param key this process's certificate and key
 * @param trust the handshake check, anchored to the cluster CA
 * @param revocations the list in force, shared with {@code trust}
 */
public record ClusterTls(CertifiedKey key, ClusterTrustManager trust, Supplier<RevocationList> revocations) {

  /** The CA certificate's file name in a security directory. */
  public static final String CA_FILE = CertificateAuthority.CERTIFICATE_FILE;
  /** A host's certificate chain in its security directory. */
  public static final String HOST_CERTIFICATE_FILE = "host.crt";
  /** A host's private key in its security directory (mode 0600). */
  public static final String HOST_KEY_FILE = "host.key";

  public ClusterTls {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(trust, "trust");
    Objects.requireNonNull(revocations, "revocations");
  }

  /** Material for {@code key}, trusting {@code authority}, checking {@code revocations}. */
  public static ClusterTls of(CertifiedKey key, X509Certificate authority, Supplier<RevocationList> revocations, Clock clock) {
    return new ClusterTls(key, new ClusterTrustManager(authority, revocations, clock), revocations);
  }

  /**
   * Reads the CA certificate, a chain and its key.
   *
   * @throws IOException when a file is missing or unreadable
   * @throws CredentialsException when a file is malformed, the key is readable by others, or the
   *     chain was not issued by the CA
   */
  public static ClusterTls load(Path caCertificate, Path chain, Path privateKey, Supplier<RevocationList> revocations, Clock clock)
      throws IOException {
    ClusterTls tls = of(CertifiedKey.load(chain, privateKey), readCertificate(caCertificate), revocations, clock);
    try {
      MutualTls.channelCredentials(tls.key, tls.trust);
    } catch (IllegalArgumentException e) {
      throw new CredentialsException(chain + ": " + e.getMessage(), e);
    }
    return tls;
  }

  /** A host's material from its security directory: {@value #CA_FILE}, {@value #HOST_CERTIFICATE_FILE}, {@value #HOST_KEY_FILE}. */
  public static ClusterTls loadHost(Path directory, Supplier<RevocationList> revocations, Clock clock) throws IOException {
    return load(directory.resolve(CA_FILE), directory.resolve(HOST_CERTIFICATE_FILE), directory.resolve(HOST_KEY_FILE), revocations, clock);
  }

  /** True when {@code directory} holds a host certificate and key. */
  public static boolean hostFilesIn(Path directory) {
    return Files.exists(directory.resolve(HOST_CERTIFICATE_FILE)) && Files.exists(directory.resolve(HOST_KEY_FILE));
  }

  /**
   * Writes a host's material into {@code directory} (made 0700 when missing): the CA certificate,
   * the chain (0644) and the key (0600 from its creation). None of the files may exist yet.
   */
  public static void writeHost(Path directory, String caCertificatePem, String chainPem, String privateKeyPem) throws IOException {
    SecureFiles.createPrivateDirectory(directory);
    if (!Files.exists(directory.resolve(CA_FILE))) {
      SecureFiles.createPublic(directory.resolve(CA_FILE), caCertificatePem);
    }
    SecureFiles.createPrivate(directory.resolve(HOST_KEY_FILE), privateKeyPem);
    SecureFiles.createPublic(directory.resolve(HOST_CERTIFICATE_FILE), chainPem);
  }

  /** The one certificate in a PEM file. */
  public static X509Certificate readCertificate(Path file) throws IOException {
    List<X509Certificate> certificates = Pem.readCertificates(Files.readString(file, StandardCharsets.UTF_8));
    if (certificates.size() != 1) {
      throw new CredentialsException(file + " must hold exactly one certificate, holds " + certificates.size());
    }
    return certificates.get(0);
  }

  /** Who this process is. */
  public Identity identity() {
    return key.identity();
  }

  /** The cluster CA. */
  public X509Certificate authority() {
    return trust.authority();
  }

  /** Server credentials requiring a client certificate ({@link MutualTls#serverCredentials}). */
  public ServerCredentials serverCredentials() {
    return MutualTls.serverCredentials(key, trust);
  }

  /** Channel credentials presenting this key ({@link MutualTls#channelCredentials}). */
  public ChannelCredentials channelCredentials() {
    return MutualTls.channelCredentials(key, trust);
  }

  /** The access check of a server's services, with this material's revocations. */
  public AccessInterceptor interceptor(AccessPolicy policy) {
    return new AccessInterceptor(policy, revocations);
  }
}
