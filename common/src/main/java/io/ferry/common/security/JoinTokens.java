package io.ferry.common.security;

import io.ferry.common.Names;
import java.io.IOException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One-time, expiring join tokens: {@code ferry host add NAME} {@linkplain #issue issues} one for
 * a named host; the new agent {@linkplain #redeem redeems} it once, with a certificate request for
 * a key it made itself, and gets its host certificate.
 *
 * <p>The secret is 256 random bits. Only its SHA-256 is stored ({@link JoinTokenStore}), so a
 * copy of the store lets no one join. A redemption is refused, with a distinct {@link
 * Redemption.Reason}, when the token is malformed, unknown, for another host, expired, already
 * used, or the request is bad; refusals for another host or a bad request leave the token usable
 * by its rightful host. A token is marked used (atomically, in the store) <em>before</em> the
 * certificate is signed, so concurrent redemptions of one token issue at most one certificate.
 *
 * <p>Thread-safe when the store is. Every issue and redemption, refused or not, is logged.
 */
public final class JoinTokens {

  /** How long a token stays valid when the caller does not say. */
  public static final Duration DEFAULT_LIFETIME = Duration.ofHours(1);

  /** The longest lifetime {@link #issue} accepts: a join token is not a standing credential. */
  public static final Duration MAX_LIFETIME = Duration.ofDays(7);

  private static final Logger log = LoggerFactory.getLogger(JoinTokens.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final CertificateAuthority authority;
  private final JoinTokenStore store;
  private final Clock clock;

  public JoinTokens(CertificateAuthority authority, JoinTokenStore store, Clock clock) {
    this.authority = Objects.requireNonNull(authority, "authority");
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Issues a token for {@code hostName}, valid for {@code lifetime} from now.
   *
   * @throws IllegalArgumentException when the host name is not a DNS label, or the lifetime is
   *     not positive or longer than {@link #MAX_LIFETIME}
   * @throws IOException when the store cannot record it (no token is handed out then)
   */
  public JoinToken issue(String hostName, Duration lifetime) throws IOException {
    if (lifetime.isZero() || lifetime.isNegative() || lifetime.compareTo(MAX_LIFETIME) > 0) {
      throw new IllegalArgumentException("join token lifetime must be in (0, " + MAX_LIFETIME + "], got " + lifetime);
    }
    Instant now = clock.instant();
    byte[] secret = new byte[JoinToken.SECRET_BYTES];
    RANDOM.nextBytes(secret);
    JoinToken token =
        new JoinToken(hostName, now.plus(lifetime), authority.fingerprint(), Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
    store.add(new StoredJoinToken(token.secretHash(), hostName, now, token.expiresAt(), Optional.empty()));
    log.atInfo().addKeyValue("host", hostName).log("issued a join token for host {}, valid until {}", hostName, token.expiresAt());
    return token;
  }

  /**
   * Redeems {@code token} for {@code hostName} with a PEM certificate request ({@link
   * CertificateRequests#create}).
   *
   * @param addresses DNS names and IP literals to put in the host certificate besides its name
   * @throws IOException when the store fails; the token may or may not be used up then
   */
  public Redemption redeem(String token, String hostName, String certificateRequestPem, List<String> addresses) throws IOException {
    String nameProblem = Names.problem("host", hostName);
    if (nameProblem != null) {
      return refused(Redemption.Reason.BAD_REQUEST, "(invalid)", nameProblem);
    }
    PublicKey key;
    try {
      key = CertificateRequests.verifiedPublicKey(certificateRequestPem);
    } catch (CredentialsException e) {
      return refused(Redemption.Reason.BAD_REQUEST, hostName, "bad certificate request: " + e.getMessage());
    }
    return redeem(token, hostName, key, addresses);
  }

  /**
   * Redeems {@code token} for {@code hostName} with a bare public key (EC P-256). Prefer the
   * request form: it proves the caller holds the private key.
   *
   * @throws IOException when the store fails; the token may or may not be used up then
   */
  public Redemption redeem(String token, String hostName, PublicKey publicKey, List<String> addresses) throws IOException {
    String nameProblem = Names.problem("host", hostName);
    if (nameProblem != null) {
      // Checked first: the name is logged, and an invalid one may carry anything.
      return refused(Redemption.Reason.BAD_REQUEST, "(invalid)", nameProblem);
    }
    JoinToken parsed;
    try {
      parsed = JoinToken.parse(token);
    } catch (IllegalArgumentException e) {
      return refused(Redemption.Reason.MALFORMED, hostName, e.getMessage());
    }
    Optional<StoredJoinToken> found = store.find(parsed.secretHash());
    if (found.isEmpty()) {
      return refused(Redemption.Reason.UNKNOWN, hostName, "this join token was not issued by this cluster, or was removed");
    }
    StoredJoinToken stored = found.get();
    if (!stored.hostName().equals(hostName)) {
      return refused(Redemption.Reason.OTHER_HOST, hostName, "this join token is for another host, not " + hostName);
    }
    Instant now = clock.instant();
    if (stored.isExpiredAt(now)) {
      return refused(Redemption.Reason.EXPIRED, hostName, "this join token expired at " + stored.expiresAt());
    }
    if (stored.redeemedAt().isPresent()) {
      return refused(Redemption.Reason.ALREADY_USED, hostName, "this join token was used at " + stored.redeemedAt().get());
    }
    if (!(publicKey instanceof ECPublicKey ec) || ec.getParams().getCurve().getField().getFieldSize() != 256) {
      return refused(Redemption.Reason.BAD_REQUEST, hostName, "the host key must be EC P-256, got " + publicKey.getAlgorithm());
    }
    try {
      SubjectAltNames.of(addresses);
    } catch (IllegalArgumentException e) {
      return refused(Redemption.Reason.BAD_REQUEST, hostName, e.getMessage());
    }
    if (!store.markRedeemed(stored.secretHash(), now)) {
      return refused(Redemption.Reason.ALREADY_USED, hostName, "this join token was used by a concurrent join");
    }
    SignedCertificate certificate = authority.signHost(hostName, publicKey, addresses);
    log.atInfo()
        .addKeyValue("host", hostName)
        .log("host {} joined with its token: certificate {} until {}", hostName, certificate.serial().toString(16), certificate.notAfter());
    return new Redemption.Joined(certificate);
  }

  /** Forgets tokens that expired before now; returns how many. */
  public int removeExpired() throws IOException {
    return store.removeExpired(clock.instant());
  }

  private static Redemption refused(Redemption.Reason reason, String hostName, String message) {
    log.atWarn()
        .addKeyValue("host", hostName)
        .addKeyValue("reason", reason)
        .log("refused a join as host {}: {} ({})", hostName, message, reason);
    return new Redemption.Refused(reason, message);
  }
}
