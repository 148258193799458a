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
}
