package io.ferry.common.security;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;

/**
 * A certificate the CA issued together with the private key it generated for it. The key is
 * secret: write it only with {@link #writeTo}, which creates the key file with mode 0600.
 *
 * @param certificateChainPem the leaf certificate followed by the CA certificate, PEM
 * @param privateKeyPem the leaf's private key, PKCS#8 PEM
 * @param serial the leaf's serial number (what a revocation names)
 * @param notAfter the end of the leaf's validity
 */
public record IssuedCertificate(String certificateChainPem, String privateKeyPem, BigInteger serial, Instant notAfter) {

  public IssuedCertificate {
    Objects.requireNonNull(certificateChainPem, "certificateChainPem");
    Objects.requireNonNull(privateKeyPem, "privateKeyPem");
    Objects.requireNonNull(serial, "serial");
    Objects.requireNonNull(notAfter, "notAfter");
  }

  /** The certificate and key as {@link CertifiedKey}, ready for TLS. */
  public CertifiedKey certifiedKey() {
    return CertifiedKey.fromPem(certificateChainPem, privateKeyPem);
  }

  /**
   * Writes the chain to {@code certificateFile} (mode 0644) and the key to {@code keyFile} (mode
   * 0600 from its creation). Neither file may exist yet.
   *
   * @throws java.nio.file.FileAlreadyExistsException when either file exists (nothing is written
   *     over; a certificate file written before the key's failure is left in place)
   */
  public void writeTo(Path certificateFile, Path keyFile) throws IOException {
    SecureFiles.createPrivate(keyFile, privateKeyPem);
    SecureFiles.createPublic(certificateFile, certificateChainPem);
  }

  /** Omits the private key, so a log line can never leak it. */
  @Override
  public String toString() {
    return "IssuedCertificate[serial=" + serial.toString(16) + ", notAfter=" + notAfter + "]";
  }
}
