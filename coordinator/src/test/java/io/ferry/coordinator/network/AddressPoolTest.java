package io.ferry.coordinator.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.common.ByteSize;
import io.ferry.common.config.ConfigException;
import io.ferry.coordinator.CoordinatorException;
import io.ferry.coordinator.placement.Resources;
import io.ferry.coordinator.store.ClusterAddress;
import io.ferry.coordinator.store.ContainerRecord;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The leader's view of free cluster addresses: lowest free, in flight, exhaustion, following records. */
class AddressPoolTest {

  private static final ClusterNetwork NET = ClusterNetwork.defaults();

  private static ContainerRecord record(String name, ClusterAddress address) {
    return new ContainerRecord(
            name, "host-1", new byte[0], Resources.of(100, ByteSize.ofMiB(64), ByteSize.ofMiB(64)), Map.of(), "",
            ContainerRecord.Desired.RUNNING, new byte[0], "", 1, 1)
        .withNetwork(address);
  }

  @Test
  void theNetworkDefaultsToTenHundredSlashSixteenWithItsGateway() {
    assertThat(NET.subnet()).hasToString("10.100.0.0/16");
    assertThat(NET.gateway()).isEqualTo("10.100.0.1");
    ClusterAddress first = NET.identity(NET.subnet().address(2));
    assertThat(first).isEqualTo(new ClusterAddress("10.100.0.2", "0a:58:0a:64:00:02", 16, "10.100.0.1"));
    assertThat(ClusterNetwork.macFor(NET.subnet().address(0xfffe))).isEqualTo("0a:58:0a:64:ff:fe");
  }

  @Test
  void aBadSubnetIsRefusedNamingTheKey() {
    assertThatThrownBy(() -> ClusterNetwork.parse("10.100.0.0")).isInstanceOf(ConfigException.class).hasMessageContaining("network.subnet");
    assertThatThrownBy(() -> ClusterNetwork.parse("10.0.0.0/8")).isInstanceOf(ConfigException.class).hasMessageContaining("/16 to /29");
    assertThatThrownBy(() -> ClusterNetwork.parse("10.100.0.1/16")).isInstanceOf(ConfigException.class).hasMessageContaining("host bits");
  }

  @Test
  void handsOutTheLowestFreeAddressAndHoldsItWhileInFlight() {
    AddressPool pool = new AddressPool(NET);
    ClusterAddress a = pool.take(Set.of());
    ClusterAddress b = pool.take(Set.of());
    assertThat(a.address()).isEqualTo("10.100.0.2");
    assertThat(b.address()).isEqualTo("10.100.0.3");
    assertThat(pool.inFlight()).isEqualTo(2);

    pool.giveBack(a); // that launch failed: free again
    assertThat(pool.take(Set.of()).address()).isEqualTo("10.100.0.2");
  }

  @Test
  void addressesFoundTakenAreAvoided() {
    AddressPool pool = new AddressPool(NET);
    assertThat(pool.take(Set.of("10.100.0.2", "10.100.0.3")).address()).isEqualTo("10.100.0.4");
  }

  @Test
  void followsTheRecordsAddressesComeAndGo() {
    AddressPool pool = new AddressPool(NET);
    ClusterAddress a = pool.take(Set.of());
    pool.containerChanged("web-1", null, record("web-1", a)); // recorded
    pool.giveBack(a);
    assertThat(pool.held()).isEqualTo(1);
    assertThat(pool.take(Set.of()).address()).isEqualTo("10.100.0.3");

    pool.containerChanged("web-1", record("web-1", a), null); // deleted
    assertThat(pool.held()).isZero();
    assertThat(pool.take(Set.of()).address()).isEqualTo("10.100.0.2");
  }

  @Test
  void recordsWithoutAnAddressOrFromAnotherSubnetAreIgnored() {
    AddressPool pool = new AddressPool(NET);
    pool.containerChanged("old", null, record("old", null));
    pool.containerChanged("elsewhere", null, record("elsewhere", new ClusterAddress("10.234.1.2", "0a:58:0a:ea:01:02", 24, "10.234.1.1")));
    assertThat(pool.held()).isZero();
  }

  @Test
  void aFullNetworkIsResourceExhausted() {
    AddressPool pool = new AddressPool(ClusterNetwork.parse("10.100.0.0/29")); // 5 assignable
    List<String> got = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      got.add(pool.take(Set.of()).address());
    }
    assertThat(got).containsExactly("10.100.0.2", "10.100.0.3", "10.100.0.4", "10.100.0.5", "10.100.0.6");
    assertThatThrownBy(() -> pool.take(Set.of()))
        .isInstanceOfSatisfying(CoordinatorException.class, e -> assertThat(e.kind()).isEqualTo(CoordinatorException.Kind.RESOURCE_EXHAUSTED))
        .hasMessageContaining("10.100.0.0/29 has no free address");
  }

  @Test
  void concurrentTakersNeverGetOneAddressTwice() throws Exception {
    AddressPool pool = new AddressPool(NET);
    ExecutorService threads = Executors.newFixedThreadPool(8);
    try {
      Set<String> seen = ConcurrentHashMap.newKeySet();
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        done.add(threads.submit(() -> {
          for (int i = 0; i < 500; i++) {
            ClusterAddress a = pool.take(Set.of());
            assertThat(seen.add(a.address())).as("handed out twice: " + a).isTrue();
            pool.containerChanged("c-" + a.address().replace('.', '-'), null, record("c", a));
            pool.giveBack(a);
          }
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      assertThat(new HashSet<>(seen)).hasSize(4000);
      assertThat(pool.held()).isEqualTo(4000);
    } finally {
      threads.shutdownNow();
    }
  }
}
