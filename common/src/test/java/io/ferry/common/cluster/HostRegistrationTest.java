package io.ferry.common.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HostRegistrationTest {

  private static HostRegistration host1() {
    return new HostRegistration(
        "host-1", "10.0.0.11:7701", 8000, 16L << 30, 500L << 30, Map.of("zone", "a", "ssd", "true"), "0.1.0");
  }

  @Test
  void roundTripsThroughTheInstanceConfigFields() {
    HostRegistration r = host1();

    Map<String, String> simple = r.simpleFields();
    Map<String, Map<String, String>> maps = r.mapFields();

    assertThat(simple)
        .containsEntry("ferry.address", "10.0.0.11:7701")
        .containsEntry("ferry.cpu_millis", "8000")
        .containsEntry("ferry.memory_bytes", Long.toString(16L << 30))
        .containsEntry("ferry.disk_bytes", Long.toString(500L << 30))
        .containsEntry("ferry.agent_version", "0.1.0")
        .hasSize(5);
    assertThat(maps).containsOnlyKeys("ferry.labels");
    assertThat(maps.get("ferry.labels")).containsExactly(Map.entry("ssd", "true"), Map.entry("zone", "a"));
    assertThat(HostRegistration.fromFields("host-1", simple, maps)).isEqualTo(r);
  }

  @Test
  void aNetworkRoundTripsAndIsOptional() {
    HostRegistration withOverlay = host1().withNetwork(new HostNetwork("10.100.0.0/16", "10.77.0.11"));
    assertThat(withOverlay.simpleFields())
        .containsEntry("ferry.network.subnet", "10.100.0.0/16")
        .containsEntry("ferry.network.overlay_address", "10.77.0.11");
    assertThat(HostRegistration.fromFields("host-1", withOverlay.simpleFields(), withOverlay.mapFields())).isEqualTo(withOverlay);

    HostRegistration noOverlay = host1().withNetwork(new HostNetwork("10.100.0.0/16", ""));
    assertThat(noOverlay.simpleFields()).containsKey("ferry.network.subnet").doesNotContainKey("ferry.network.overlay_address");
    assertThat(HostRegistration.fromFields("host-1", noOverlay.simpleFields(), noOverlay.mapFields()).network())
        .contains(new HostNetwork("10.100.0.0/16", ""));

    assertThat(HostRegistration.fromFields("host-1", host1().simpleFields(), host1().mapFields()).network()).isEmpty();
    assertThat(HostRegistration.OPTIONAL_FIELDS).containsExactlyInAnyOrder("ferry.network.subnet", "ferry.network.overlay_address");
  }

  @Test
  void aMalformedNetworkIsRefusedNamingTheHost() {
    Map<String, String> simple = new HashMap<>(host1().simpleFields());
    simple.put("ferry.network.subnet", "10.100.0.1/16");
    assertThatThrownBy(() -> HostRegistration.fromFields("host-1", simple, Map.of()))
        .hasMessageContaining("host host-1")
        .hasMessageContaining("host bits set");
    simple.put("ferry.network.subnet", "10.100.0.0/16");
    simple.put("ferry.network.overlay_address", "10.77.0");
    assertThatThrownBy(() -> HostRegistration.fromFields("host-1", simple, Map.of()))
        .hasMessageContaining("overlay address '10.77.0'");
  }

  @Test
  void readingBackIgnoresHelixsOwnFieldsAndTreatsMissingLabelsAsNone() {
    Map<String, String> simple = new HashMap<>(host1().simpleFields());
    simple.put("HELIX_ENABLED", "false");
    simple.put("HELIX_HOST", "host-1");

    HostRegistration r = HostRegistration.fromFields("host-1", simple, Map.of("HELIX_DISABLED_PARTITION", Map.of()));

    assertThat(r.labels()).isEmpty();
    assertThat(r.cpuMillis()).isEqualTo(8000);
  }

  @Test
  void anInstanceNoAgentRegisteredIsRefusedWithTheMissingField() {
    assertThatThrownBy(() -> HostRegistration.fromFields("localhost-12918", Map.of("HELIX_HOST", "x"), Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("host localhost-12918");
    assertThatThrownBy(() -> HostRegistration.fromFields("host-1", Map.of("HELIX_HOST", "x"), Map.of()))
        .hasMessageContaining("no ferry.address");
    Map<String, String> badNumber = new HashMap<>(host1().simpleFields());
    badNumber.put("ferry.cpu_millis", "eight");
    assertThatThrownBy(() -> HostRegistration.fromFields("host-1", badNumber, Map.of()))
        .hasMessageContaining("ferry.cpu_millis='eight' is not a number");
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.1:7701", "host-1.example:1", "[::1]:7701", "[fd00::11]:65535"})
  void acceptsDialableAddresses(String address) {
    assertThat(HostRegistration.addressProblem(address)).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "host-1", "host-1:", ":7701", "host-1:0", "host-1:65536", "::1:7701", "a b:1", "h:77x"})
  void refusesAddressesNobodyCanDial(String address) {
    assertThatThrownBy(() -> new HostRegistration("host-1", address, 1000, 1, 0, Map.of(), "dev"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("host host-1")
        .hasMessageContaining("address");
  }

  @Test
  void refusesBadNamesCapacitiesLabelsAndVersions() {
    assertThatThrownBy(() -> new HostRegistration("Host_1", "h:1", 1000, 1, 0, Map.of(), "dev"))
        .hasMessageContaining("'Host_1'");
    assertThatThrownBy(() -> new HostRegistration("host-1", "h:1", 0, 1, 0, Map.of(), "dev"))
        .hasMessageContaining("capacity must be positive");
    assertThatThrownBy(() -> new HostRegistration("host-1", "h:1", 1000, 1, -1, Map.of(), "dev"))
        .hasMessageContaining("capacity must be positive");
    assertThatThrownBy(() -> new HostRegistration("host-1", "h:1", 1000, 1, 0, Map.of("Zone", "a"), "dev"))
        .hasMessageContaining("host host-1")
        .hasMessageContaining("label key 'Zone'");
    assertThatThrownBy(() -> new HostRegistration("host-1", "h:1", 1000, 1, 0, Map.of("zone", "a b"), "dev"))
        .hasMessageContaining("bad value 'a b'");
    assertThatThrownBy(() -> new HostRegistration("host-1", "h:1", 1000, 1, 0, Map.of(), " "))
        .hasMessageContaining("agent version is required");
  }

  @Test
  void labelsAreCopiedAndImmutable() {
    Map<String, String> labels = new HashMap<>(Map.of("zone", "a"));
    HostRegistration r = new HostRegistration("host-1", "h:1", 1000, 1, 0, labels, "dev");
    labels.put("zone", "b");

    assertThat(r.labels()).containsEntry("zone", "a");
    assertThatThrownBy(() -> r.labels().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void helixClusterNamesArePrefixedAndValidated() {
    assertThat(HelixNames.clusterName("default")).isEqualTo("ferry-default");
    assertThatThrownBy(() -> HelixNames.clusterName("../x")).hasMessageContaining("'../x'");
  }
}
