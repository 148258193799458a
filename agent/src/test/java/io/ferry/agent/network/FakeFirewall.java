package io.ferry.agent.network;

import java.util.ArrayList;
import java.util.List;

/** A {@link Firewall} that remembers which bridges it let through. Not thread-safe. */
public final class FakeFirewall implements Firewall {

  final List<String> forwarded = new ArrayList<>();
  boolean inputOpen = true;
  final List<String> isolated = new ArrayList<>();

  @Override
  public boolean allowForwarding(String bridge) {
    if (forwarded.contains(bridge)) {
      return false;
    }
    forwarded.add(bridge);
    return true;
  }

  @Override
  public boolean inputAllowed(String bridge) {
    return inputOpen;
  }

  @Override
  public int isolateGateway(String overlayDevice, Ipv4Address gateway, MacAddress gatewayMac) {
    String rule = overlayDevice + " " + gateway + " " + gatewayMac;
    if (isolated.contains(rule)) {
      return 0;
    }
    isolated.add(rule);
    return 3;
  }
}
