package io.ferry.agent.images;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class KeyedLocksTest {

  @Test
  void oneHolderPerKeyAndNothingLeftWhenReleased() throws Exception {
    KeyedLocks locks = new KeyedLocks();
    KeyedLocks.Held first = locks.acquire("a");
    CountDownLatch otherKeyHeld = new CountDownLatch(1);
    CompletableFuture<Void> sameKey = CompletableFuture.runAsync(() -> locks.acquire("a").close());
    CompletableFuture<Void> otherKey = CompletableFuture.runAsync(() -> {
      try (KeyedLocks.Held other = locks.acquire("b")) {
        otherKeyHeld.countDown();
      }
    });

    assertThat(otherKeyHeld.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(sameKey).isNotDone();
    first.close();
    sameKey.get(30, TimeUnit.SECONDS);
    otherKey.get(30, TimeUnit.SECONDS); // its holder releases after the latch: wait for that too
    assertThat(locks.size()).isZero();
  }
}
