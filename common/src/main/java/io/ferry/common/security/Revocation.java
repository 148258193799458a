package io.ferry.common.security;

import java.math.BigInteger;
import java.time.Instant;
import java.util.Objects;

/**
 * One revoked certificate.
 *
 * @param serial the certificate's serial number (positive)
 * @param reason why it was revoked
 * @param revokedAt when
 */
public record Revocation(BigInteger serial, RevocationReason reason, Instant revokedAt) {

  /** @throws IllegalArgumentException when the serial is not positive */
  public Revocation {
    Objects.requireNonNull(serial, "serial");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(revokedAt, "revokedAt");
    if (serial.signum() <= 0) {
      throw new IllegalArgumentException("a serial number is positive, got " + serial);
    }
  }
}
