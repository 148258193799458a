package io.ferry.migration.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalStoreTest {

  @TempDir Path dir;
  private final Instant now = Instant.parse("2026-11-30T10:00:00Z");

  private Journal target(String id) {
    return Journal.target(id, "web-1", Mode.LIVE, "0123456789abcdef0123", "10.0.0.1:7701", "abc", new byte[] {1, 2, 3},
        "10.100.0.5", "02:00:00:00:00:05", now);
  }

  @Test
  void aJournalReadsBackAsItWasWritten() throws Exception {
    JournalStore store = new JournalStore(dir);
    Journal j = store.save(target("m-1").moveTo(Phase.SYNCING_ROOTFS, "first pass", now)
        .withResult(new Result(Mode.LIVE, "", 10, 5, 100, 200)));

    Journal back = new JournalStore(dir).find("m-1", Role.TARGET).orElseThrow();
    assertThat(back.phase()).isEqualTo(Phase.SYNCING_ROOTFS);
    assertThat(back.spec()).containsExactly(1, 2, 3);
    assertThat(back.result()).isEqualTo(new Result(Mode.LIVE, "", 10, 5, 100, 200));
    assertThat(back.token()).isEqualTo(j.token());
    assertThat(Files.getPosixFilePermissions(store.file("m-1", Role.TARGET)))
        .as("the journal holds the token").isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(store.loadAll()).extracting(Journal::id).containsExactly("m-1");
  }

  @Test
  void finishingKeepsOnlyTheOutcome() {
    JournalStore store = new JournalStore(dir);
    Journal j = store.save(target("m-2"));
    store.finish(j.moveTo(Phase.ROLLING_BACK, "x", now).moveTo(Phase.ABORTED, "rolled back", now));

    assertThat(store.find("m-2", Role.TARGET)).isEmpty();
    assertThat(store.loadAll()).isEmpty();
    JournalStore reopened = new JournalStore(dir);
    assertThat(reopened.outcome("m-2", Role.TARGET)).hasValueSatisfying(o -> {
      assertThat(o.phase()).isEqualTo(Phase.ABORTED);
      assertThat(o.detail()).isEqualTo("rolled back");
    });
    assertThat(reopened.outcome("m-2", Role.SOURCE)).isEmpty();
  }

  @Test
  void aJournalLeftBehindByACrashAfterItsOutcomeIsDropped() throws Exception {
    JournalStore store = new JournalStore(dir);
    Journal j = store.save(target("m-3"));
    Path file = store.file("m-3", Role.TARGET);
    byte[] saved = Files.readAllBytes(file);
    store.finish(j.moveTo(Phase.ROLLING_BACK, "x", now).moveTo(Phase.ABORTED, "x", now));
    Files.write(file, saved);

    assertThat(new JournalStore(dir).loadAll()).isEmpty();
    assertThat(file).doesNotExist();
  }

  @Test
  void outcomesAreBounded() {
    JournalStore store = new JournalStore(dir);
    for (int i = 0; i < JournalStore.MAX_OUTCOMES + 5; i++) {
      store.finish(target("m-" + i).moveTo(Phase.ROLLING_BACK, "", now).moveTo(Phase.ABORTED, "", now));
    }
    assertThat(store.outcome("m-0", Role.TARGET)).isEmpty();
    assertThat(store.outcome("m-" + (JournalStore.MAX_OUTCOMES + 4), Role.TARGET)).isPresent();
  }

  @Test
  void unfinishedJournalsCannotBeFinishedAndBadIdsAreRefused() {
    JournalStore store = new JournalStore(dir);
    assertThatThrownBy(() -> store.finish(target("m-4"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> JournalStore.requireValidId("../etc")).isInstanceOf(MigrationException.class);
    assertThatThrownBy(() -> JournalStore.requireValidId("")).isInstanceOf(MigrationException.class);
  }
}
