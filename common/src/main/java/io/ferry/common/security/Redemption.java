package io.ferry.common.security;

import java.util.Objects;

/** What {@link JoinTokens#redeem} answered: a host certificate, or a refusal with its reason. */
public sealed interface Redemption {

  /**
   * The token was good and is now used up.
   *
   * @param certificate the host's certificate (and the CA's), for the key it sent
   */
  record Joined(SignedCertificate certificate) implements Redemption {
    public Joined {
      Objects.requireNonNull(certificate, "certificate");
    }
  }

  /**
   * The join was refused; nothing was issued.
   *
   * @param reason why, for the caller's status mapping
   * @param message the same in words, safe to send back to the joining host
   */
  record Refused(Reason reason, String message) implements Redemption {
    public Refused {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(message, "message");
    }
  }

  /** Why a join was refused. Only {@link #ALREADY_USED} is final for a token that exists. */
  enum Reason {
    /** The text is not a Ferry join token. */
    MALFORMED,
    /** No such token was issued here (or it expired long ago and was removed). */
    UNKNOWN,
    /** The token was issued for another host; it is not used up. */
    OTHER_HOST,
    /** The token's time is over. */
    EXPIRED,
    /** The token was redeemed before. */
    ALREADY_USED,
    /** The host name, certificate request or key is unacceptable (invalid name, bad signature, not EC P-256, bad address); the token is not used up. */
    BAD_REQUEST
  }
}
