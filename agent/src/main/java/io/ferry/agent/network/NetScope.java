package io.ferry.agent.network;

/**
 * Which network namespace an {@link IpCommands} call acts in: the agent's own ({@link #AGENT},
 * where the bridge and the host ends of the veths live) or a named one under {@code /run/netns}
 * (a container's).
 *
 * @param namespace the netns name, or null for the agent's own namespace
 */
public record NetScope(String namespace) {

  /** The namespace the agent's commands run in (with a command prefix, the prefix's). */
  public static final NetScope AGENT = new NetScope(null);

  public static NetScope of(String namespace) {
    if (namespace == null || namespace.isEmpty()) {
      throw new IllegalArgumentException("a network namespace name is required");
    }
    return new NetScope(namespace);
  }

  public boolean isAgent() {
    return namespace == null;
  }

  @Override
  public String toString() {
    return isAgent() ? "agent netns" : "netns " + namespace;
  }
}
