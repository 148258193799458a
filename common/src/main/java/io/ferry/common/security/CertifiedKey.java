package io.ferry.common.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;

/**
 * A private key and its certificate chain (leaf first): what a TLS endpoint presents. Used by
 * {@link MutualTls} on both servers and clients.
 *
 * @param chain the leaf certificate, then its issuers; never empty
 * @param privateKey the leaf's private key
 */
public record CertifiedKey(List<X509Certificate> chain, PrivateKey privateKey) {

  /** @throws IllegalArgumentException when the chain is empty */
  public CertifiedKey {
    chain = List.copyOf(chain);
    Objects.requireNonNull(privateKey, "privateKey");
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("a certified key needs at least its own certificate");
    }
  }

  /**
   * Parses a PEM chain and a PEM private key.
   *
   * @throws CredentialsException when either is malformed
   */
  public static CertifiedKey fromPem(String chainPem, String privateKeyPem) {
    return new CertifiedKey(Pem.readCertificates(chainPem), Pem.readPrivateKey(privateKeyPem));
  }

  /**
   * Reads a PEM chain file and a PEM key file, as written by {@link IssuedCertificate#writeTo}.
   *
   * @throws IOException when a file cannot be read
   * @throws CredentialsException when either is malformed, or the key file is readable by group
   *     or others (a key that leaked on disk is refused, as ssh does)
   */
  public static CertifiedKey load(Path chainFile, Path privateKeyFile) throws IOException {
    var permissions = Files.getPosixFilePermissions(privateKeyFile);
    if (!SecureFiles.OWNER_READ_WRITE.containsAll(permissions)) {
      throw new CredentialsException(
          "private key " + privateKeyFile + " is accessible by others (mode must be 0600 or stricter)");
    }
    return fromPem(
        Files.readString(chainFile, StandardCharsets.UTF_8), Files.readString(privateKeyFile, StandardCharsets.UTF_8));
  }

  /** The leaf certificate. */
  public X509Certificate certificate() {
    return chain.get(0);
  }

  /** The identity written in the leaf certificate. */
  public Identity identity() {
    return CertificateIdentity.of(certificate());
  }

  /** Key managers presenting this key and chain, for a TLS server or client. */
  public KeyManager[] keyManagers() {
    try {
      char[] password = randomPassword();
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("ferry", privateKey, password, chain.toArray(X509Certificate[]::new));
      KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      factory.init(store, password);
      return factory.getKeyManagers();
    } catch (GeneralSecurityException | IOException e) {
      throw new CredentialsException("cannot use the key and chain for TLS: " + e.getMessage(), e);
    }
  }

  /** Names the leaf only: never prints the key. */
  @Override
  public String toString() {
    return "CertifiedKey[" + certificate().getSubjectX500Principal().getName() + "]";
  }

  private static char[] randomPassword() {
    byte[] bytes = new byte[18];
    new SecureRandom().nextBytes(bytes);
    return Base64.getEncoder().encodeToString(bytes).toCharArray();
  }
}
