package io.ferry.migration.protocol;

import static io.ferry.migration.protocol.Phase.ABORTED;
import static io.ferry.migration.protocol.Phase.AWAITING_COMMIT;
import static io.ferry.migration.protocol.Phase.COMMITTED;
import static io.ferry.migration.protocol.Phase.DUMPING;
import static io.ferry.migration.protocol.Phase.FREEZING;
import static io.ferry.migration.protocol.Phase.IN_DOUBT;
import static io.ferry.migration.protocol.Phase.PREPARED;
import static io.ferry.migration.protocol.Phase.RESTORING;
import static io.ferry.migration.protocol.Phase.ROLLING_BACK;
import static io.ferry.migration.protocol.Phase.STOPPING;
import static io.ferry.migration.protocol.Phase.SYNCING_DELTA;
import static io.ferry.migration.protocol.Phase.SYNCING_ROOTFS;
import static io.ferry.migration.protocol.Phase.TRANSFERRING_MEMORY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TransitionsTest {

  private static void path(Role role, Phase... phases) {
    for (int i = 1; i < phases.length; i++) {
      assertThat(Transitions.allowed(role, phases[i - 1], phases[i])).as("%s %s -> %s", role, phases[i - 1], phases[i]).isTrue();
    }
  }

  @Test
  void sourcePathsOfEveryModeAreLegal() {
    path(Role.SOURCE, PREPARED, STOPPING, SYNCING_ROOTFS, RESTORING, AWAITING_COMMIT, COMMITTED);
    path(Role.SOURCE, PREPARED, SYNCING_ROOTFS, STOPPING, SYNCING_DELTA, RESTORING, AWAITING_COMMIT, COMMITTED);
    path(Role.SOURCE, PREPARED, SYNCING_ROOTFS, FREEZING, DUMPING, TRANSFERRING_MEMORY, SYNCING_DELTA, RESTORING,
        AWAITING_COMMIT, COMMITTED);
    path(Role.SOURCE, PREPARED, SYNCING_ROOTFS, FREEZING, DUMPING, TRANSFERRING_MEMORY, SYNCING_DELTA, RESTORING,
        TRANSFERRING_MEMORY, AWAITING_COMMIT);
    path(Role.SOURCE, FREEZING, DUMPING, STOPPING, SYNCING_DELTA, RESTORING);
    path(Role.SOURCE, RESTORING, IN_DOUBT, AWAITING_COMMIT, ROLLING_BACK, ABORTED);
    path(Role.SOURCE, RESTORING, IN_DOUBT, ROLLING_BACK, ABORTED);
  }

  @Test
  void everyUnfinishedSourcePhaseCanRollBack() {
    for (Phase p : List.of(PREPARED, SYNCING_ROOTFS, STOPPING, FREEZING, DUMPING, TRANSFERRING_MEMORY, SYNCING_DELTA,
        RESTORING, IN_DOUBT, AWAITING_COMMIT)) {
      assertThat(Transitions.allowed(Role.SOURCE, p, ROLLING_BACK)).as("%s -> ROLLING_BACK", p).isTrue();
    }
  }

  @Test
  void theSourceIsInDoubtOnlyAfterAskingForARestore() {
    for (Phase p : List.of(PREPARED, SYNCING_ROOTFS, STOPPING, FREEZING, DUMPING, SYNCING_DELTA, AWAITING_COMMIT)) {
      assertThat(Transitions.allowed(Role.SOURCE, p, IN_DOUBT)).as("%s -> IN_DOUBT", p).isFalse();
    }
    assertThat(Transitions.allowed(Role.TARGET, RESTORING, IN_DOUBT)).isFalse();
  }

  @Test
  void finishedMigrationsGoNowhere() {
    for (Role role : Role.values()) {
      for (Phase to : Phase.values()) {
        if (to != COMMITTED) {
          assertThat(Transitions.allowed(role, COMMITTED, to)).as("%s COMMITTED -> %s", role, to).isFalse();
        }
        if (to != ABORTED) {
          assertThat(Transitions.allowed(role, ABORTED, to)).as("%s ABORTED -> %s", role, to).isFalse();
        }
      }
    }
  }

  @Test
  void aCommittedMigrationCannotBeRolledBackNorCommittedWithoutTheTargetRunningIt() {
    assertThat(Transitions.allowed(Role.SOURCE, SYNCING_DELTA, COMMITTED)).isFalse();
    assertThat(Transitions.allowed(Role.SOURCE, IN_DOUBT, COMMITTED)).isFalse();
    assertThat(Transitions.allowed(Role.TARGET, RESTORING, COMMITTED)).isFalse();
    assertThat(Transitions.allowed(Role.TARGET, TRANSFERRING_MEMORY, COMMITTED)).isFalse();
  }

  @Test
  void theTargetReceivesInAnyOrderButNothingAfterItsRestore() {
    path(Role.TARGET, PREPARED, SYNCING_ROOTFS, TRANSFERRING_MEMORY, SYNCING_DELTA, RESTORING, AWAITING_COMMIT, COMMITTED);
    path(Role.TARGET, PREPARED, SYNCING_ROOTFS, SYNCING_DELTA, TRANSFERRING_MEMORY, RESTORING, TRANSFERRING_MEMORY,
        AWAITING_COMMIT);
    assertThat(Transitions.allowed(Role.TARGET, RESTORING, SYNCING_DELTA)).isFalse();
    assertThat(Transitions.allowed(Role.TARGET, AWAITING_COMMIT, SYNCING_ROOTFS)).isFalse();
  }

  @Test
  void anIllegalMoveIsRefusedWithBothPhasesNamed() {
    assertThatThrownBy(() -> Transitions.check(Role.SOURCE, "m-1", AWAITING_COMMIT, SYNCING_ROOTFS, ""))
        .isInstanceOfSatisfying(MigrationException.class, e -> {
          assertThat(e.kind()).isEqualTo(MigrationException.Kind.FAILED_PRECONDITION);
          assertThat(e.getMessage()).contains("m-1", "AWAITING_COMMIT", "SYNCING_ROOTFS");
        });
  }
}
