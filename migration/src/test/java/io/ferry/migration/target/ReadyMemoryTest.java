package io.ferry.migration.target;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReadyMemoryTest {

  private static final long CHUNK = ReadyMemory.CHUNK;

  @Test
  void touchesWholeChunksAndFreesAChunkOnlyOnceThatMuchWasAskedFor() throws Exception {
    long before = ReadyMemory.promisedInAll();
    try (ReadyMemory memory = ReadyMemory.touch(2 * CHUNK - 1, "test")) {
      assertThat(memory.awaitTouched(Duration.ofSeconds(30))).isTrue();
      assertThat(memory.heldBytes()).isEqualTo(2 * CHUNK);
      assertThat(ReadyMemory.promisedInAll()).isEqualTo(before + 2 * CHUNK);

      memory.release(CHUNK - 1);
      assertThat(memory.heldBytes()).isEqualTo(2 * CHUNK);
      memory.release(1);
      assertThat(memory.heldBytes()).isEqualTo(CHUNK);
      assertThat(ReadyMemory.promisedInAll()).as("a freed chunk is no longer counted against others").isEqualTo(before + CHUNK);

      memory.close();
      assertThat(memory.heldBytes()).isZero();
      memory.release(CHUNK);
      assertThat(memory.heldBytes()).isZero();
      assertThat(ReadyMemory.promisedInAll()).isEqualTo(before);
    }
    // Freed on a thread of their own: the caller did not wait, and the kernel gets them back soon.
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (ReadyMemory.beingFreed() > 0) {
      assertThat(System.nanoTime()).as("released chunks freed within 10 s").isLessThan(deadline);
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }
  }

  @Test
  void instancesTogetherNeverTakeMoreThanHalfOfWhatWasAvailable() throws Exception {
    long before = ReadyMemory.promisedInAll();
    // Each asks for far more than the machine has: the first gets its share, the second what is left of it.
    long available = ReadyMemory.availableBytes();
    try (ReadyMemory first = ReadyMemory.touch(Long.MAX_VALUE / 4, "first");
        ReadyMemory second = ReadyMemory.touch(Long.MAX_VALUE / 4, "second")) {
      long promised = ReadyMemory.promisedInAll() - before;
      first.close();
      second.close();
      assertThat(promised).isPositive().isLessThanOrEqualTo(available / 2 + CHUNK);
      assertThat(first.heldBytes() + second.heldBytes()).isZero();
    }
    assertThat(ReadyMemory.promisedInAll()).isEqualTo(before);
  }

  @Test
  void lessThanAChunkIsNotWorthTouching() throws Exception {
    ReadyMemory memory = ReadyMemory.touch(CHUNK - 1, "test");
    assertThat(memory.awaitTouched(Duration.ZERO)).isTrue();
    assertThat(memory.heldBytes()).isZero();
  }
}
