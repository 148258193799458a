package io.ferry.migration.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;

class ModeSelectorTest {

  private static final Set<String> THIS_KERNEL = Set.of("uffd", "uffd-noncoop", "timens", "external_net_ns");
  private static final HostCapabilities A = new HostCapabilities("a", true, "", THIS_KERNEL);
  private static final HostCapabilities B = new HostCapabilities("b", true, "", THIS_KERNEL);
  private static final HostCapabilities NO_CRIU = new HostCapabilities("c", false, "criu check failed: vdso", Set.of());

  @Test
  void autoTakesLiveWhenBothHostsHaveCriu() {
    assertThat(ModeSelector.choose(Mode.AUTO, A, B)).isEqualTo(new ModeChoice(Mode.LIVE, ""));
  }

  @Test
  void autoFallsBackToNearLiveAndSaysWhy() {
    ModeChoice choice = ModeSelector.choose(Mode.AUTO, A, NO_CRIU);
    assertThat(choice.mode()).isEqualTo(Mode.NEAR_LIVE);
    assertThat(choice.fallbackReason()).contains("host c", "vdso", "near-live");
  }

  @Test
  void liveAndPostCopyRefuseAHostWithoutCriu() {
    assertThatThrownBy(() -> ModeSelector.choose(Mode.LIVE, NO_CRIU, B))
        .isInstanceOfSatisfying(MigrationException.class, e -> {
          assertThat(e.kind()).isEqualTo(MigrationException.Kind.FAILED_PRECONDITION);
          assertThat(e.getMessage()).contains("host c");
        });
    assertThatThrownBy(() -> ModeSelector.choose(Mode.POST_COPY, A, NO_CRIU)).hasMessageContaining("host c");
  }

  @Test
  void postCopyNeedsUserfaultfdOnTheTarget() {
    HostCapabilities noUffd = new HostCapabilities("d", true, "", Set.of("timens"));
    assertThat(ModeSelector.choose(Mode.POST_COPY, A, B).mode()).isEqualTo(Mode.POST_COPY);
    assertThatThrownBy(() -> ModeSelector.choose(Mode.POST_COPY, A, noUffd)).hasMessageContaining("uffd").hasMessageContaining("host d");
  }

  @Test
  void preCopyNamesTheMissingFeatureAndTheHostsLackingIt() {
    assertThatThrownBy(() -> ModeSelector.choose(Mode.PRE_COPY, A, B))
        .isInstanceOfSatisfying(MigrationException.class, e -> {
          assertThat(e.kind()).isEqualTo(MigrationException.Kind.FAILED_PRECONDITION);
          assertThat(e.getMessage()).contains("mem_dirty_track", "a and b");
        });
    HostCapabilities tracked = new HostCapabilities("t", true, "", Set.of("mem_dirty_track"));
    assertThatThrownBy(() -> ModeSelector.choose(Mode.PRE_COPY, tracked, B)).hasMessageContaining("missing on b");
  }

  @Test
  void aTargetThatCannotUndoTheSourcesNftablesLockIsRefusedOrAutoFallsBack() {
    Set<String> nft = Set.of("uffd", "uffd-noncoop", HostCapabilities.NETWORK_LOCK_NFTABLES);
    HostCapabilities locksWithNft = new HostCapabilities("n", true, "", nft);
    HostCapabilities alsoNft = new HostCapabilities("m", true, "", nft);
    assertThat(ModeSelector.choose(Mode.LIVE, locksWithNft, alsoNft).mode()).isEqualTo(Mode.LIVE);
    assertThat(ModeSelector.choose(Mode.LIVE, A, locksWithNft).mode()).as("the other way round needs nothing").isEqualTo(Mode.LIVE);
    assertThatThrownBy(() -> ModeSelector.choose(Mode.POST_COPY, locksWithNft, B))
        .isInstanceOfSatisfying(MigrationException.class, e -> {
          assertThat(e.kind()).isEqualTo(MigrationException.Kind.FAILED_PRECONDITION);
          assertThat(e.getMessage()).contains("nftables", "host n", "host b");
        });
    ModeChoice auto = ModeSelector.choose(Mode.AUTO, locksWithNft, B);
    assertThat(auto.mode()).isEqualTo(Mode.NEAR_LIVE);
    assertThat(auto.fallbackReason()).contains("nftables", "near-live");
  }

  @Test
  void restartModesNeedNothing() {
    assertThat(ModeSelector.choose(Mode.COLD, NO_CRIU, NO_CRIU).mode()).isEqualTo(Mode.COLD);
    assertThat(ModeSelector.choose(Mode.NEAR_LIVE, NO_CRIU, NO_CRIU).mode()).isEqualTo(Mode.NEAR_LIVE);
  }
}
