package io.ferry.agent.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AddressAllocatorTest {

  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-01T10:00:00Z"), ZoneOffset.UTC);
  private static final Ipv4Subnet SUBNET = Ipv4Subnet.parse("10.100.0.0/24");

  @TempDir Path state;

  private AddressAllocator open(Ipv4Subnet subnet) {
    return AddressAllocator.open(state, subnet, CLOCK);
  }

  @Test
  void allocatesTheLowestFreeAddressAndTheDerivedMac() {
    AddressAllocator a = open(SUBNET);
    Lease web1 = a.allocate("web1");
    assertThat(web1.address()).hasToString("10.100.0.2");
    assertThat(web1.mac()).isEqualTo(MacAddress.derive("web1"));
    assertThat(web1.leasedAt()).isEqualTo(CLOCK.instant());
    assertThat(a.allocate("web2").address()).hasToString("10.100.0.3");
    assertThat(a.allocate("web3").address()).hasToString("10.100.0.4");
    a.release("web2");
    assertThat(a.allocate("db").address()).as("the gap is filled first").hasToString("10.100.0.3");
  }

  @Test
  void allocateIsIdempotentPerContainer() {
    AddressAllocator a = open(SUBNET);
    Lease first = a.allocate("web1");
    a.allocate("web2");
    assertThat(a.allocate("web1")).isEqualTo(first);
    assertThat(a.leases()).hasSize(2);
  }

  @Test
  void reserveTakesTheGivenAddressAndRefusesConflictsNamingTheHolder() {
    AddressAllocator a = open(SUBNET);
    a.allocate("web1");
    MacAddress moved = MacAddress.parse("02:00:00:00:00:99");
    Lease db = a.reserve("db", Ipv4Address.parse("10.100.0.50"), moved);
    assertThat(db.address()).hasToString("10.100.0.50");
    assertThat(db.mac()).isEqualTo(moved);
    assertThat(a.reserve("db", Ipv4Address.parse("10.100.0.50"), moved)).as("idempotent").isEqualTo(db);

    assertThatThrownBy(() -> a.reserve("cache", Ipv4Address.parse("10.100.0.2"), MacAddress.derive("cache")))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.ALREADY_EXISTS))
        .hasMessageContaining("10.100.0.2")
        .hasMessageContaining("web1");
    assertThatThrownBy(() -> a.reserve("cache", Ipv4Address.parse("10.100.0.9"), moved))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.ALREADY_EXISTS))
        .hasMessageContaining("MAC 02:00:00:00:00:99")
        .hasMessageContaining("db");
    assertThatThrownBy(() -> a.reserve("db", Ipv4Address.parse("10.100.0.51"), moved))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION))
        .hasMessageContaining("already holds 10.100.0.50");
    assertThat(a.lease("cache")).isEmpty();
    assertThat(a.allocate("next").address()).as("allocate skips reserved addresses").hasToString("10.100.0.3");
  }

  @Test
  void reserveRefusesAddressesThatAreNotAssignable() {
    AddressAllocator a = open(SUBNET);
    for (String bad : List.of("10.100.0.0", "10.100.0.1", "10.100.0.255", "10.101.0.7")) {
      assertThatThrownBy(() -> a.reserve("db", Ipv4Address.parse(bad)))
          .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT))
          .hasMessageContaining(bad);
    }
    assertThatThrownBy(() -> a.reserve("db", Ipv4Address.parse("10.100.0.7"), MacAddress.parse("03:00:00:00:00:01")))
        .hasMessageContaining("group address");
    assertThat(a.leases()).isEmpty();
  }

  @Test
  void exhaustionNamesTheSubnet() {
    AddressAllocator a = open(Ipv4Subnet.parse("10.100.0.0/29"));
    IntStream.range(0, 5).forEach(i -> a.allocate("c" + i));
    assertThatThrownBy(() -> a.allocate("one-too-many"))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.RESOURCE_EXHAUSTED))
        .hasMessageContaining("10.100.0.0/29")
        .hasMessageContaining("one-too-many");
    a.release("c3");
    assertThat(a.allocate("one-too-many").address()).hasToString("10.100.0.5");
  }

  @Test
  void leasesSurviveANewInstanceAndTheFileIsWrittenWhole() throws Exception {
    AddressAllocator a = open(SUBNET);
    a.allocate("web1");
    a.reserve("db", Ipv4Address.parse("10.100.0.40"), MacAddress.parse("02:aa:bb:cc:dd:ee"));
    a.allocate("web2");
    a.release("web2");

    AddressAllocator b = open(SUBNET);
    assertThat(b.leases()).containsExactlyElementsOf(a.leases());
    assertThat(b.allocate("web1").address()).hasToString("10.100.0.2");
    assertThat(b.allocate("web3").address()).hasToString("10.100.0.3");
    assertThat(b.file()).isEqualTo(state.resolve("network/leases.json"));
    try (Stream<Path> files = Files.list(state.resolve("network"))) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("leases.json");
    }
    assertThat(Files.readString(b.file())).contains("\"subnet\" : \"10.100.0.0/24\"").contains("02:aa:bb:cc:dd:ee");
  }

  @Test
  void leasesOutsideANewlyConfiguredSubnetStopTheStart() {
    open(SUBNET).allocate("web1");
    assertThatThrownBy(() -> open(Ipv4Subnet.parse("10.200.0.0/24")))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION))
        .hasMessageContaining("web1")
        .hasMessageContaining("10.200.0.0/24");
  }

  @Test
  void aDamagedFileIsReportedNotIgnored() throws Exception {
    Files.createDirectories(state.resolve("network"));
    Files.writeString(state.resolve("network/leases.json"), "{\"version\":1,\"subnet\":\"10.100.0.0/24\",\"leases\":[{\"container\":\"x\"");
    assertThatThrownBy(() -> open(SUBNET))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INTERNAL))
        .hasMessageContaining("damaged");
  }

  @Test
  void aFailedWriteChangesNothing() throws Exception {
    AddressAllocator a = open(SUBNET);
    a.allocate("web1");
    // A directory where the temporary file's rename target is makes the write fail.
    Path file = a.file();
    Files.delete(file);
    Files.createDirectories(file.resolve("blocker"));
    assertThatThrownBy(() -> a.allocate("web2")).isInstanceOf(AgentException.class).hasMessageContaining("leases.json");
    assertThat(a.lease("web2")).isEmpty();
    assertThat(a.leases()).extracting(Lease::container).containsExactly("web1");
  }

  @Test
  void aMacCollisionGetsAnotherDerivedMac() {
    AddressAllocator a = open(SUBNET);
    a.reserve("other", Ipv4Address.parse("10.100.0.9"), MacAddress.derive("web1"));
    Lease web1 = a.allocate("web1");
    assertThat(web1.mac()).isEqualTo(MacAddress.derive("web1#1"));
  }

  @Test
  void concurrentAllocationsGetDistinctAddresses() throws Exception {
    AddressAllocator a = open(SUBNET);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      Set<Ipv4Address> seen = ConcurrentHashMap.newKeySet();
      List<Future<Boolean>> futures =
          IntStream.range(0, 100).mapToObj(i -> pool.submit(() -> seen.add(a.allocate("c" + i).address()))).toList();
      for (Future<Boolean> f : futures) {
        f.get();
      }
      assertThat(seen).hasSize(100);
      assertThat(open(SUBNET).leases()).hasSize(100);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void badNamesAreRefused() {
    AddressAllocator a = open(SUBNET);
    assertThatThrownBy(() -> a.allocate("../etc"))
        .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT));
  }
}
