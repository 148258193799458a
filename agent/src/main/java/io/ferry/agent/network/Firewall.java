package io.ferry.agent.network;

/**
 * The packet-filter rules the bridge needs, in the namespace the agent's commands run in.
 *
 * <p>With dockerd running, the iptables FORWARD policy is DROP and {@code br_netfilter} sends
 * bridged frames through FORWARD: without an explicit ACCEPT, containers on the same bridge cannot
 * reach each other. Implementations only add rules that name the bridge, never change policies or
 * other rules. Thread-safe; errors as {@link io.ferry.agent.AgentException} (INTERNAL with the
 * tool's stderr, TIMEOUT).
 */
public interface Firewall {

  /**
   * Makes sure frames between ports of {@code bridge} are accepted (FORWARD, in and out on the
   * bridge), adding the rule first in the chain when it is missing.
   *
   * @return true when the rule was added, false when it was there
   */
  boolean allowForwarding(String bridge);

  /**
   * Whether traffic from {@code bridge} to the host itself (INPUT: containers reaching their
   * gateway address) passes: the INPUT policy is ACCEPT or a rule accepts the bridge. Ferry does
   * not open INPUT itself; that is the operator's firewall.
   */
  boolean inputAllowed(String bridge);

  /**
   * Keeps the anycast gateway off the overlay ({@code ebtables}, in the same namespace): every
   * host's bridge holds the same gateway address with the same MAC, so the gateway's own frames
   * must stay on their host. Three rules, each added when missing: containers' ARP requests for
   * the gateway are not forwarded into {@code overlayDevice} (their own host answers them);
   * nothing the bridge itself sends with the gateway's MAC goes out of it; nothing arriving from it
   * with that MAC is taken in (another host's gateway). Without them, every host's gateway answers
   * every container's ARP and each bridge logs frames "with own address as source address".
   *
   * @return how many rules were added (0 when all were there)
   */
  int isolateGateway(String overlayDevice, Ipv4Address gateway, MacAddress gatewayMac);
}
