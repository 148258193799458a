package io.ferry.common.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JoinTokensTest {

  private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");

  @TempDir Path directory;

  private final MutableClock clock = new MutableClock(NOW);
  private CertificateAuthority authority;
  private Path storeFile;
  private JoinTokens tokens;
  private KeyPair hostKeys;
  private String request;

  @BeforeEach
  void setUp() throws IOException {
    authority = CertificateAuthority.create(directory.resolve("ca"), CertificateValidity.DEFAULTS, clock);
    storeFile = directory.resolve("join-tokens");
    tokens = new JoinTokens(authority, FileJoinTokenStore.open(storeFile), clock);
    hostKeys = CertificateRequests.newKeyPair();
    request = CertificateRequests.create(hostKeys, "web-1");
  }

  @Test
  void aTokenJoinsItsHostOnceWithACertificateForTheHostsOwnKey() throws IOException {
    JoinToken token = tokens.issue("web-1", Duration.ofMinutes(30));

    Redemption first = tokens.redeem(token.encode(), "web-1", request, List.of("10.0.0.7"));

    assertThat(first).isInstanceOf(Redemption.Joined.class);
    SignedCertificate signed = ((Redemption.Joined) first).certificate();
    CertifiedKey key = new CertifiedKey(Pem.readCertificates(signed.certificateChainPem()), hostKeys.getPrivate());
    assertThat(key.identity()).isEqualTo(Identity.host("web-1"));
    assertThat(key.certificate().getPublicKey()).isEqualTo(hostKeys.getPublic());
    assertThat(refusal(tokens.redeem(token.encode(), "web-1", request, List.of()))).isEqualTo(Redemption.Reason.ALREADY_USED);
  }

  @Test
  void theTokenCarriesTheCaFingerprintAndTheStoreNeverTheSecret() throws IOException {
    JoinToken token = tokens.issue("web-1", JoinTokens.DEFAULT_LIFETIME);

    assertThat(token.caFingerprint()).isEqualTo(authority.fingerprint());
    assertThat(JoinToken.parse(token.encode())).isEqualTo(token);
    String stored = Files.readString(storeFile);
    assertThat(stored).contains(token.secretHash()).doesNotContain(token.secret());
    assertThat(token.toString()).doesNotContain(token.secret());
  }

  @Test
  void anExpiredTokenIsRefusedAndStaysUnused() throws IOException {
    JoinToken token = tokens.issue("web-1", Duration.ofMinutes(30));
    clock.advance(Duration.ofMinutes(30));

    assertThat(refusal(tokens.redeem(token.encode(), "web-1", request, List.of()))).isEqualTo(Redemption.Reason.EXPIRED);
  }

  @Test
  void aTokenForAnotherHostIsRefusedAndStillWorksForItsOwn() throws IOException {
    JoinToken token = tokens.issue("web-1", Duration.ofMinutes(30));
    String otherRequest = CertificateRequests.create(CertificateRequests.newKeyPair(), "web-2");

    assertThat(refusal(tokens.redeem(token.encode(), "web-2", otherRequest, List.of()))).isEqualTo(Redemption.Reason.OTHER_HOST);
    assertThat(tokens.redeem(token.encode(), "web-1", request, List.of())).isInstanceOf(Redemption.Joined.class);
  }

  @Test
  void aTokenWhoseTextNamesAnotherHostIsJudgedByTheStoredHost() throws IOException {
    JoinToken token = tokens.issue("web-1", Duration.ofMinutes(30));
    String forged = new JoinToken("web-2", token.expiresAt().plusSeconds(86_400), token.caFingerprint(), token.secret()).encode();
    String otherRequest = CertificateRequests.create(CertificateRequests.newKeyPair(), "web-2");

    assertThat(refusal(tokens.redeem(forged, "web-2", otherRequest, List.of()))).isEqualTo(Redemption.Reason.OTHER_HOST);
  }

  @Test
  void unknownAndMalformedTokensAreRefusedDistinctly() throws IOException {
    JoinToken issued = tokens.issue("web-1", Duration.ofMinutes(30));
    String unknown = new JoinToken("web-1", issued.expiresAt(), issued.caFingerprint(), "A".repeat(43)).encode();

    assertThat(refusal(tokens.redeem(unknown, "web-1", request, List.of()))).isEqualTo(Redemption.Reason.UNKNOWN);
    assertThat(refusal(tokens.redeem("let-me-in", "web-1", request, List.of()))).isEqualTo(Redemption.Reason.MALFORMED);
  }

  @Test
  void aBadRequestIsRefusedWithoutUsingTheToken() throws IOException {
    JoinToken token = tokens.issue("web-1", Duration.ofMinutes(30));
    String tampered = request.replace(request.substring(70, 74), "AAAA");

    assertThat(refusal(tokens.redeem(token.encode(), "web-1", tampered, List.of()))).isEqualTo(Redemption.Reason.BAD_REQUEST);
    assertThat(refusal(tokens.redeem(token.encode(), "web-1", request, List.of("not an address")))).isEqualTo(Redemption.Reason.BAD_REQUEST);
    assertThat(refusal(tokens.redeem(token.encode(), "Web_1\nforged log line", request, List.of()))).isEqualTo(Redemption.Reason.BAD_REQUEST);
    assertThat(tokens.redeem(token.encode(), "web-1", request, List.of())).isInstanceOf(Redemption.Joined.class);
  }

  @Test
  void concurrentRedemptionsOfOneTokenIssueOneCertificate() throws Exception {
    JoinToken token = tokens.issue("web-1", Duration.ofMinutes(30));
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<Redemption>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        Callable<Redemption> redeem = () -> {
          start.await();
          return tokens.redeem(token.encode(), "web-1", request, List.of());
        };
        results.add(pool.submit(redeem));
      }
      start.countDown();
      List<Redemption> answers = new ArrayList<>();
      for (Future<Redemption> result : results) {
        answers.add(result.get(30, TimeUnit.SECONDS));
      }

      assertThat(answers).filteredOn(Redemption.Joined.class::isInstance).hasSize(1);
      assertThat(answers).filteredOn(Redemption.Refused.class::isInstance)
          .hasSize(threads - 1)
          .allSatisfy(a -> assertThat(((Redemption.Refused) a).reason()).isEqualTo(Redemption.Reason.ALREADY_USED));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void refusesLifetimesBeyondTheMaximum() {
    assertThatThrownBy(() -> tokens.issue("web-1", Duration.ofDays(8))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> tokens.issue("web-1", Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
  }

  private static Redemption.Reason refusal(Redemption redemption) {
    assertThat(redemption).isInstanceOf(Redemption.Refused.class);
    return ((Redemption.Refused) redemption).reason();
  }

  /** A clock the test moves forward. */
  private static final class MutableClock extends Clock {
    private volatile Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    void advance(Duration duration) {
      now = now.plus(duration);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
