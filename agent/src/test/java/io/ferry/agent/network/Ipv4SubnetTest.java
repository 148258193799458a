package io.ferry.agent.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class Ipv4SubnetTest {

  @Test
  void addressesParseAndPrintAsDottedQuads() {
    assertThat(Ipv4Address.parse("10.100.0.7").toString()).isEqualTo("10.100.0.7");
    assertThat(Ipv4Address.parse("255.255.255.255").unsigned()).isEqualTo(0xffff_ffffL);
    assertThat(Ipv4Address.parse("0.0.0.0").bits()).isZero();
    assertThat(Ipv4Address.parse("10.0.0.255").plus(1)).isEqualTo(Ipv4Address.parse("10.0.1.0"));
    assertThat(Ipv4Address.parse("200.0.0.1")).isGreaterThan(Ipv4Address.parse("10.0.0.1"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "10.0.0", "10.0.0.0.1", "10.0.0.256", "10.0.0.-1", "10.0..1", "a.b.c.d", " 10.0.0.1", "10.0.0.1000"})
  void badAddressesAreRefusedNamingTheText(String text) {
    assertThatThrownBy(() -> Ipv4Address.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(text.isEmpty() ? "required" : text);
  }

  @Test
  void aSlash24HasItsGatewayFirstAnd253Assignable() {
    Ipv4Subnet s = Ipv4Subnet.parse("10.100.0.0/24");
    assertThat(s.network()).isEqualTo(Ipv4Address.parse("10.100.0.0"));
    assertThat(s.prefixLength()).isEqualTo(24);
    assertThat(s.size()).isEqualTo(256);
    assertThat(s.gateway()).isEqualTo(Ipv4Address.parse("10.100.0.1"));
    assertThat(s.broadcast()).isEqualTo(Ipv4Address.parse("10.100.0.255"));
    assertThat(s.hosts()).hasSize(254).first().isEqualTo(s.gateway());
    assertThat(s.assignable()).hasSize(253);
    assertThat(s.assignable().findFirst()).contains(Ipv4Address.parse("10.100.0.2"));
    assertThat(s.assignable().reduce((a, b) -> b)).contains(Ipv4Address.parse("10.100.0.254"));
    assertThat(s.toString()).isEqualTo("10.100.0.0/24");
  }

  @Test
  void assignableExcludesNetworkGatewayBroadcastAndOutsiders() {
    Ipv4Subnet s = Ipv4Subnet.parse("192.168.8.0/29");
    assertThat(s.assignable().map(Ipv4Address::toString))
        .containsExactly("192.168.8.2", "192.168.8.3", "192.168.8.4", "192.168.8.5", "192.168.8.6");
    assertThat(s.isAssignable(Ipv4Address.parse("192.168.8.0"))).isFalse();
    assertThat(s.isAssignable(Ipv4Address.parse("192.168.8.1"))).isFalse();
    assertThat(s.isAssignable(Ipv4Address.parse("192.168.8.7"))).isFalse();
    assertThat(s.isAssignable(Ipv4Address.parse("192.168.8.8"))).isFalse();
    assertThat(s.isAssignable(Ipv4Address.parse("192.168.8.6"))).isTrue();
    assertThat(s.contains(Ipv4Address.parse("192.168.8.7"))).isTrue();
    assertThat(s.contains(Ipv4Address.parse("192.168.9.1"))).isFalse();
  }

  @Test
  void highAddressesCompareAndIterateUnsigned() {
    Ipv4Subnet s = Ipv4Subnet.parse("250.1.0.0/16");
    assertThat(s.size()).isEqualTo(65_536);
    assertThat(s.broadcast()).isEqualTo(Ipv4Address.parse("250.1.255.255"));
    assertThat(s.assignable().count()).isEqualTo(65_533);
    assertThat(s.contains(Ipv4Address.parse("250.1.200.3"))).isTrue();
    assertThat(s.contains(Ipv4Address.parse("250.2.0.0"))).isFalse();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "10.100.0.0|missing '/prefix-length'",
        "10.100.0.0/|bad prefix length",
        "10.100.0.0/33|not in /0../32",
        "10.100.0.0/x|bad prefix length",
        "10.100.0.300/24|octet 300 > 255",
        "10.100.0.5/24|host bits set; the network address is 10.100.0.0/24",
      })
  void badCidrIsRefusedSayingWhy(String cidr, String reason) {
    assertThatThrownBy(() -> Ipv4Subnet.parse(cidr))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(reason);
  }

  @Test
  void tooSmallSubnetsHaveNoGateway() {
    assertThatThrownBy(() -> Ipv4Subnet.parse("10.0.0.0/31").gateway()).isInstanceOf(IllegalStateException.class);
    assertThat(Ipv4Subnet.parse("10.0.0.0/31").isAssignable(Ipv4Address.parse("10.0.0.1"))).isFalse();
  }
}
