package io.ferry.migration.target;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReadyMemoryTest {

  private static final long CHUNK = ReadyMemory.CHUNK;

  @Test
  void touchesWholeChunksAndFreesAChunkOnlyOnceThatMuchWasAskedFor() throws Exception {
    try (ReadyMemory memory = ReadyMemory.touch(2 * CHUNK - 1, "test")) {
      assertThat(memory.awaitTouched(Duration.ofSeconds(30))).isTrue();
      assertThat(memory.heldBytes()).isEqualTo(2 * CHUNK);

      memory.release(CHUNK - 1);
      assertThat(memory.heldBytes()).isEqualTo(2 * CHUNK);
      memory.release(1);
      assertThat(memory.heldBytes()).isEqualTo(CHUNK);

      memory.close();
      assertThat(memory.heldBytes()).isZero();
      memory.release(CHUNK);
      assertThat(memory.heldBytes()).isZero();
    }
  }

  @Test
  void lessThanAChunkIsNotWorthTouching() throws Exception {
    ReadyMemory memory = ReadyMemory.touch(CHUNK - 1, "test");
    assertThat(memory.awaitTouched(Duration.ZERO)).isTrue();
    assertThat(memory.heldBytes()).isZero();
  }
}
