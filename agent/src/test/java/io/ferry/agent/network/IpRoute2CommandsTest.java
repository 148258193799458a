package io.ferry.agent.network;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** Parsing of {@code ip -j -d addr show} as iproute2 6.1 prints it (trimmed real output). */
class IpRoute2CommandsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void readsAHostVethOnABridge() throws Exception {
    LinkState link =
        IpRoute2Commands.parseLink(
            JSON.readTree(
                """
                {"ifindex":2,"link_index":2,"ifname":"fvtest","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],
                 "mtu":1500,"qdisc":"noqueue","master":"brx","operstate":"UP","address":"06:36:e4:5c:45:90",
                 "link_netnsid":0,"linkinfo":{"info_kind":"veth","info_slave_kind":"bridge"},
                 "addr_info":[{"family":"inet6","local":"fe80::436:e4ff:fe5c:4590","prefixlen":64}]}
                """));
    assertThat(link.name()).isEqualTo("fvtest");
    assertThat(link.index()).isEqualTo(2);
    assertThat(link.isVeth()).isTrue();
    assertThat(link.master()).isEqualTo("brx");
    assertThat(link.masterName()).contains("brx");
    assertThat(link.up()).isTrue();
    assertThat(link.peerIndex()).isEqualTo(2);
    assertThat(link.mac()).isEqualTo(MacAddress.parse("06:36:e4:5c:45:90"));
    assertThat(link.addresses()).as("IPv6 is ignored").isEmpty();
  }

  @Test
  void readsAContainerEth0WithItsAddressAndADownLoopback() throws Exception {
    LinkState eth0 =
        IpRoute2Commands.parseLink(
            JSON.readTree(
                """
                {"ifindex":3,"link_index":7,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP"],"mtu":1450,
                 "address":"02:65:9a:7f:b2:af","link_netnsid":0,"linkinfo":{"info_kind":"veth"},
                 "addr_info":[{"family":"inet","local":"10.100.0.2","prefixlen":24,"broadcast":"10.100.0.255"}]}
                """));
    assertThat(eth0.addresses()).extracting(Object::toString).containsExactly("10.100.0.2/24");
    assertThat(eth0.mtu()).isEqualTo(1450);
    assertThat(eth0.peerIndex()).isEqualTo(7);

    LinkState lo =
        IpRoute2Commands.parseLink(
            JSON.readTree(
                """
                {"ifindex":1,"ifname":"lo","flags":["LOOPBACK"],"mtu":65536,"operstate":"DOWN",
                 "link_type":"loopback","address":"00:00:00:00:00:00","addr_info":[]}
                """));
    assertThat(lo.up()).isFalse();
    assertThat(lo.kind()).isEmpty();
    assertThat(lo.master()).isEmpty();
    assertThat(lo.peerIndex()).isEqualTo(-1);
  }

  @Test
  void readsAVxlanDeviceAndIgnoresOtherKinds() throws Exception {
    VxlanLink vx =
        IpRoute2Commands.parseVxlan(
                JSON.readTree(
                    """
                    {"ifindex":4,"ifname":"vx0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1450,"master":"br0",
                     "linkinfo":{"info_kind":"vxlan","info_data":{"id":42,"local":"10.198.0.11","link":"eth0","port":4789,
                     "learning":true,"ageing":300},"info_slave_kind":"bridge"}}
                    """))
            .orElseThrow();
    assertThat(vx).isEqualTo(new VxlanLink("vx0", 42, java.util.Optional.of(Ipv4Address.parse("10.198.0.11")), 4789, 1450, true, "br0"));
    assertThat(IpRoute2Commands.parseVxlan(JSON.readTree("{\"ifname\":\"br0\",\"linkinfo\":{\"info_kind\":\"bridge\"}}"))).isEmpty();
  }

  @Test
  void readsTheFloodListFromTheForwardingDatabase() throws Exception {
    var peers =
        IpRoute2Commands.parseFloodPeers(
            JSON.readTree(
                """
                [{"mac":"26:7c:c6:44:c6:de","flags":[],"master":"br0","state":""},
                 {"mac":"02:aa:bb:cc:dd:01","dst":"10.198.0.13","flags":["self"],"state":""},
                 {"mac":"00:00:00:00:00:00","dst":"10.198.0.12","flags":["self"],"state":"permanent"},
                 {"mac":"00:00:00:00:00:00","dst":"10.198.0.13","flags":["self"],"state":"permanent"},
                 {"mac":"00:00:00:00:00:00","dst":"10.198.0.13","flags":["self"],"state":"permanent"},
                 {"mac":"00:00:00:00:00:00","dst":"fd00::1","flags":["self"],"state":"permanent"}]
                """));
    assertThat(peers).extracting(Object::toString).containsExactly("10.198.0.12", "10.198.0.13");
  }

  @Test
  void readsTheBridgePortStateOfALink() throws Exception {
    assertThat(IpRoute2Commands.parsePortState(JSON.readTree(
            """
            {"ifname":"fv1","linkinfo":{"info_kind":"veth","info_slave_kind":"bridge","info_slave_data":{"state":"forwarding","learning":true}}}
            """)))
        .contains("forwarding");
    assertThat(IpRoute2Commands.parsePortState(JSON.readTree(
            """
            {"ifname":"fv1","linkinfo":{"info_kind":"veth","info_slave_kind":"bridge","info_slave_data":{"state":"disabled"}}}
            """)))
        .contains("disabled");
    assertThat(IpRoute2Commands.parsePortState(JSON.readTree("{\"ifname\":\"eth0\",\"linkinfo\":{\"info_kind\":\"veth\"}}"))).isEmpty();
  }
}
