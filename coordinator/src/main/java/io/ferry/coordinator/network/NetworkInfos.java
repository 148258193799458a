package io.ferry.coordinator.network;

import io.ferry.coordinator.store.ClusterAddress;
import io.ferry.proto.v1.NetworkInfo;

/** A container's cluster address as the API and the agents' {@code NetworkInfo}. */
public final class NetworkInfos {

  private NetworkInfos() {}

  public static NetworkInfo of(ClusterAddress address) {
    return NetworkInfo.newBuilder()
        .setAddress(address.address())
        .setMac(address.mac())
        .setPrefixLength(address.prefixLength())
        .setGateway(address.gateway())
        .build();
  }
}
