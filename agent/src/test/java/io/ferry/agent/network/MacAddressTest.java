package io.ferry.agent.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class MacAddressTest {

  @Test
  void derivedMacsAreStableLocallyAdministeredUnicastAndSpread() {
    // Fixed value: it must never change, or containers change MACs across agent versions.
    // 02 then the first five bytes of SHA-256("web1") (computed independently with Python's hashlib).
    assertThat(MacAddress.derive("web1").toString()).isEqualTo("02:65:9a:7f:b2:af");
    assertThat(MacAddress.derive("web1")).isEqualTo(MacAddress.derive(new String("web1")));
    assertThat(MacAddress.derive("web2")).isNotEqualTo(MacAddress.derive("web1"));

    Set<MacAddress> seen = new HashSet<>();
    IntStream.range(0, 2000).mapToObj(i -> "c" + i).map(MacAddress::derive).forEach(mac -> {
      assertThat(mac.isUnicast()).as("%s unicast", mac).isTrue();
      assertThat(mac.isLocallyAdministered()).as("%s local", mac).isTrue();
      seen.add(mac);
    });
    assertThat(seen).hasSize(2000);
  }

  @Test
  void parsesAndPrintsColonSeparatedHex() {
    MacAddress mac = MacAddress.parse("02:AB:cd:00:01:ff");
    assertThat(mac.toString()).isEqualTo("02:ab:cd:00:01:ff");
    assertThat(MacAddress.parse(mac.toString())).isEqualTo(mac);
    assertThat(MacAddress.parse("01:00:5e:00:00:01").isUnicast()).isFalse();
    assertThat(MacAddress.parse("00:16:3e:00:00:01").isLocallyAdministered()).isFalse();
  }

  @Test
  void refusesMalformedText() {
    for (String bad : new String[] {"02:ab:cd:00:01", "02:ab:cd:00:01:ff:00", "02-ab-cd-00-01-ff", "02:ab:cd:00:01:fg", "2:ab:cd:00:01:ff"}) {
      assertThatThrownBy(() -> MacAddress.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(bad);
    }
    assertThatThrownBy(() -> new MacAddress(1L << 48)).isInstanceOf(IllegalArgumentException.class);
  }
}
