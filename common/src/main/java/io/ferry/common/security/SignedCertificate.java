package io.ferry.common.security;

import java.math.BigInteger;
import java.time.Instant;
import java.util.Objects;

/**
 * A certificate the CA signed for a key it never saw (from a certificate request): the holder
 * keeps its private key.
 *
 * @param certificateChainPem the leaf certificate followed by the CA certificate, PEM
 * @param serial the leaf's serial number
 * @param notAfter the end of the leaf's validity
 */
public record SignedCertificate(String certificateChainPem, BigInteger serial, Instant notAfter) {

  public SignedCertificate {
    Objects.requireNonNull(certificateChainPem, "certificateChainPem");
    Objects.requireNonNull(serial, "serial");
    Objects.requireNonNull(notAfter, "notAfter");
  }
}
