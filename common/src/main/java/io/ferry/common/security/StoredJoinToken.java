package io.ferry.common.security;

import io.ferry.common.Names;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a {@link JoinTokenStore} keeps of a join token: the hash of its secret, never the secret.
 *
 * @param secretHash SHA-256 of the secret, 64 lower-case hex digits; the key of the record
 * @param hostName the only host that may redeem it
 * @param issuedAt when it was issued
 * @param expiresAt when it stops working
 * @param redeemedAt when it was redeemed, empty while unused
 */
public record StoredJoinToken(String secretHash, String hostName, Instant issuedAt, Instant expiresAt, Optional<Instant> redeemedAt) {

  private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");

  /** @throws IllegalArgumentException when the hash or host name is malformed */
  public StoredJoinToken {
    if (!HASH.matcher(secretHash).matches()) {
      throw new IllegalArgumentException("secret hash must be 64 lower-case hex digits");
    }
    Names.require("host", hostName);
    Objects.requireNonNull(issuedAt, "issuedAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(redeemedAt, "redeemedAt");
  }

  /** True at and after {@link #expiresAt}. */
  public boolean isExpiredAt(Instant now) {
    return !now.isBefore(expiresAt);
  }

  /** This record, redeemed at {@code at}. */
  public StoredJoinToken redeemed(Instant at) {
    return new StoredJoinToken(secretHash, hostName, issuedAt, expiresAt, Optional.of(at));
  }
}
