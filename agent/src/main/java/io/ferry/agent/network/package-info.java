/**
 * The agent's container networking: a bridge per host with the subnet's gateway, and per container
 * a named network namespace (which the runtime joins by path), a veth pair to the bridge, an
 * address and a MAC leased from a persisted allocator, and a default route.
 *
 * <p>Entry point: {@link io.ferry.agent.network.NetworkManager}. Values: {@link
 * io.ferry.agent.network.NetworkConfig}, {@link io.ferry.agent.network.NetworkAttachment}, {@link
 * io.ferry.agent.network.Lease}, {@link io.ferry.agent.network.Ipv4Subnet}, {@link
 * io.ferry.agent.network.MacAddress}. Adapters to the kernel, the only classes that run commands:
 * {@link io.ferry.agent.network.IpRoute2Commands} ({@code ip}) and {@link
 * io.ferry.agent.network.IptablesFirewall} ({@code iptables}), behind {@link
 * io.ferry.agent.network.IpCommands} and {@link io.ferry.agent.network.Firewall}.
 *
 * <p>Addresses come only from configuration, never from probing; traffic stays on the host's
 * bridge (no NAT, no routing beyond the subnet).
 */
package io.ferry.agent.network;
