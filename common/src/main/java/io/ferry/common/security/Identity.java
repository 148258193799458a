package io.ferry.common.security;

import io.ferry.common.Names;
import java.util.Objects;

/**
 * Who is on the other end of a connection: a name and one {@link Role}. A host's name is its
 * host name; a person's or script's name is a user name. Both follow {@link Names}' DNS-label
 * rules, so a name can never carry a role, a path or a separator.
 *
 * @param name the host or user name, a valid DNS label
 * @param role what the holder may do
 */
public record Identity(String name, Role role) {

  /** @throws IllegalArgumentException when the name is not a DNS label or the role is null */
  public Identity {
    Names.require("identity", name);
    Objects.requireNonNull(role, "role");
  }

  /** A host identity ({@link Role#HOST}). */
  public static Identity host(String hostName) {
    return new Identity(hostName, Role.HOST);
  }

  @Override
  public String toString() {
    return name + "(" + role.certificateName() + ")";
  }
}
