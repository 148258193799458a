package io.ferry.agent.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.agent.AgentException;
import io.ferry.agent.network.AssignedIdentity;
import io.ferry.agent.network.Ipv4Address;
import io.ferry.agent.network.MacAddress;
import io.ferry.proto.v1.NetworkInfo;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The network identity a create or copy asks for, read from the request's {@code NetworkInfo}. */
class NetworkIdentityMappingTest {

  @Test
  void anEmptyNetworkMeansTheHostLeasesOne() {
    assertThat(ProtoMapper.identity("web", NetworkInfo.getDefaultInstance())).isEmpty();
  }

  @Test
  void aFullIdentityIsReadWithWhatItExpectsOfTheHost() {
    NetworkInfo info = NetworkInfo.newBuilder().setAddress("10.100.0.7").setMac("0a:58:0a:64:00:07").setPrefixLength(16).setGateway("10.100.0.1").build();
    assertThat(ProtoMapper.identity("web", info))
        .contains(new AssignedIdentity(Ipv4Address.parse("10.100.0.7"), MacAddress.parse("0a:58:0a:64:00:07"), 16, Optional.of(Ipv4Address.parse("10.100.0.1"))));
  }

  @Test
  void halfAnIdentityOrAMalformedOneIsInvalid() {
    for (NetworkInfo bad : new NetworkInfo[] {
        NetworkInfo.newBuilder().setAddress("10.100.0.7").build(),
        NetworkInfo.newBuilder().setMac("0a:58:0a:64:00:07").build(),
        NetworkInfo.newBuilder().setAddress("10.100.0").setMac("0a:58:0a:64:00:07").build(),
        NetworkInfo.newBuilder().setAddress("10.100.0.7").setMac("0a:58").build(),
        NetworkInfo.newBuilder().setAddress("10.100.0.7").setMac("0a:58:0a:64:00:07").setGateway("gw").build()}) {
      assertThatThrownBy(() -> ProtoMapper.identity("web", bad))
          .as(bad.toString())
          .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.kind()).isEqualTo(AgentException.Kind.INVALID_ARGUMENT))
          .hasMessageContaining("container web");
    }
  }
}
