package io.ferry.common.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What every {@link JoinTokenStore} must do; each implementation's test extends this. */
abstract class JoinTokenStoreContract {

  static final Instant ISSUED = Instant.parse("2026-11-30T12:00:00Z");

  abstract JoinTokenStore store() throws Exception;

  static StoredJoinToken token(int n, String host, Instant expiresAt) {
    return new StoredJoinToken(HexFormat.of().formatHex(new byte[32]).substring(0, 62) + String.format("%02x", n), host, ISSUED, expiresAt, Optional.empty());
  }

  @Test
  void findsWhatWasAddedAndNothingElse() throws Exception {
    JoinTokenStore store = store();
    StoredJoinToken token = token(1, "web-1", ISSUED.plusSeconds(3600));

    store.add(token);

    assertThat(store.find(token.secretHash())).contains(token);
    assertThat(store.find(token(2, "web-1", ISSUED).secretHash())).isEmpty();
    assertThatThrownBy(() -> store.add(token)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void marksRedeemedOnceOnly() throws Exception {
    JoinTokenStore store = store();
    StoredJoinToken token = token(1, "web-1", ISSUED.plusSeconds(3600));
    store.add(token);

    assertThat(store.markRedeemed(token.secretHash(), ISSUED.plusSeconds(10))).isTrue();
    assertThat(store.markRedeemed(token.secretHash(), ISSUED.plusSeconds(20))).isFalse();
    assertThat(store.find(token.secretHash()).orElseThrow().redeemedAt()).contains(ISSUED.plusSeconds(10));
    assertThat(store.markRedeemed(token(9, "web-1", ISSUED).secretHash(), ISSUED)).isFalse();
  }

  @Test
  void concurrentRedemptionsOfOneTokenSucceedOnce() throws Exception {
    JoinTokenStore store = store();
    StoredJoinToken token = token(1, "web-1", ISSUED.plusSeconds(3600));
    store.add(token);
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        Callable<Boolean> redeem = () -> {
          start.await();
          return store.markRedeemed(token.secretHash(), ISSUED.plusSeconds(1));
        };
        results.add(pool.submit(redeem));
      }
      start.countDown();
      int succeeded = 0;
      for (Future<Boolean> result : results) {
        succeeded += result.get(10, TimeUnit.SECONDS) ? 1 : 0;
      }
      assertThat(succeeded).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void removesOnlyTokensExpiredBeforeNow() throws Exception {
    JoinTokenStore store = store();
    StoredJoinToken old = token(1, "web-1", ISSUED.plusSeconds(60));
    StoredJoinToken live = token(2, "web-2", ISSUED.plusSeconds(3600));
    store.add(old);
    store.add(live);

    assertThat(store.removeExpired(ISSUED.plusSeconds(61))).isEqualTo(1);

    assertThat(store.find(old.secretHash())).isEmpty();
    assertThat(store.find(live.secretHash())).contains(live);
  }
}
