package io.ferry.agent.network;

import java.nio.file.Path;

/**
 * A container's network as plumbed on this host: what the runtime joins ({@link #namespacePath},
 * given to runc as the container's network namespace path) and what the container sees inside
 * ({@code eth0} with {@link #mac} and {@link #address}/{@link #prefixLength}, default route via
 * {@link #gateway}).
 *
 * @param container the container's name
 * @param namespace the netns name, a file in {@code /run/netns}
 * @param namespacePath {@code /run/netns/<namespace>}
 * @param address the container's IPv4 address
 * @param prefixLength the subnet's prefix length
 * @param gateway the bridge's address, the container's default route
 * @param mac the MAC of the container's {@code eth0}
 * @param hostInterface the host end of the veth, enslaved to the bridge
 * @param mtu the MTU of both veth ends
 */
public record NetworkAttachment(
    String container,
    String namespace,
    Path namespacePath,
    Ipv4Address address,
    int prefixLength,
    Ipv4Address gateway,
    MacAddress mac,
    String hostInterface,
    int mtu) {

  /** The name of the container's interface inside its namespace. */
  public static final String CONTAINER_INTERFACE = NamingScheme.CONTAINER_INTERFACE;
}
