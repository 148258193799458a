package io.ferry.common.security;

import java.time.Duration;
import java.util.Objects;

/**
 * How long certificates stay valid from their issue. Each duration must be positive; leaves
 * outliving the CA are cut to the CA's end by the CA (a certificate never outlives its issuer).
 *
 * @param ca the cluster CA's own certificate (default 10 years)
 * @param host host certificates (default 1 year)
 * @param client admin, operator and viewer certificates (default 1 year)
 */
public record CertificateValidity(Duration ca, Duration host, Duration client) {

  /** 10 years for the CA, 1 year for host and client certificates. */
  public static final CertificateValidity DEFAULTS =
      new CertificateValidity(Duration.ofDays(3650), Duration.ofDays(365), Duration.ofDays(365));

  /** @throws IllegalArgumentException when a duration is zero or negative */
  public CertificateValidity {
    requirePositive("ca", ca);
    requirePositive("host", host);
    requirePositive("client", client);
  }

  /** The validity of a leaf certificate for {@code role}. */
  public Duration forRole(Role role) {
    return role == Role.HOST ? host : client;
  }

  private static void requirePositive(String what, Duration duration) {
    Objects.requireNonNull(duration, what);
    if (duration.isZero() || duration.isNegative()) {
      throw new IllegalArgumentException(what + " validity must be positive, got " + duration);
    }
  }
}
