package io.ferry.common.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Ipv4CidrTest {

  @Test
  void parsesAndDescribesACidr() {
    Ipv4Cidr net = Ipv4Cidr.parse("10.100.0.0/16");
    assertThat(net.toString()).isEqualTo("10.100.0.0/16");
    assertThat(net.size()).isEqualTo(65536);
    assertThat(Ipv4Cidr.format(net.gateway())).isEqualTo("10.100.0.1");
    assertThat(net.assignableCount()).isEqualTo(65533);
    assertThat(net.isAssignable(Ipv4Cidr.parseAddress("10.100.0.2"))).isTrue();
    assertThat(net.isAssignable(Ipv4Cidr.parseAddress("10.100.255.254"))).isTrue();
    assertThat(net.isAssignable(Ipv4Cidr.parseAddress("10.100.0.1"))).as("gateway").isFalse();
    assertThat(net.isAssignable(Ipv4Cidr.parseAddress("10.100.255.255"))).as("broadcast").isFalse();
    assertThat(net.isAssignable(Ipv4Cidr.parseAddress("10.101.0.2"))).as("outside").isFalse();
    assertThat(net.offsetOf(Ipv4Cidr.parseAddress("10.100.1.2"))).isEqualTo(258);
    assertThat(Ipv4Cidr.format(net.address(258))).isEqualTo("10.100.1.2");
  }

  @Test
  void handlesTheHighHalfOfTheAddressSpace() {
    Ipv4Cidr net = Ipv4Cidr.parse("192.168.4.0/30");
    assertThat(net.assignableCount()).isEqualTo(1);
    assertThat(Ipv4Cidr.format(net.address(2))).isEqualTo("192.168.4.2");
    assertThat(net.contains(Ipv4Cidr.parseAddress("192.168.4.3"))).isTrue();
    assertThat(net.contains(Ipv4Cidr.parseAddress("192.168.4.4"))).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0/8", "10.0.0.1/24", "10.0.0.256/24", "a.b.c.d/8"})
  void refusesWhatIsNotCidr(String text) {
    assertThatThrownBy(() -> Ipv4Cidr.parse(text)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void knowsAnAddressWhenItSeesOne() {
    assertThat(Ipv4Cidr.isAddress("10.77.0.11")).isTrue();
    assertThat(Ipv4Cidr.isAddress("10.77.0")).isFalse();
    assertThat(Ipv4Cidr.isAddress("host-1")).isFalse();
  }
}
