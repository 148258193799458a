package io.ferry.common.security;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * What a certificate's holder is, and so what it may do. Every Ferry certificate carries exactly
 * one role (see {@link CertificateIdentity} for where it is written).
 *
 * <p>The client roles are ordered: {@link #ADMIN} may do what {@link #OPERATOR} may, which may do
 * what {@link #VIEWER} may ({@link #atLeast}). {@link #HOST} is outside that order: it is the role
 * of a machine, not of a person, and is allowed only the internal agent and agent-to-agent calls
 * an {@link AccessPolicy} grants it.
 */
public enum Role {
  /** Everything, including cluster, host and certificate changes (host add/remove, revoke). */
  ADMIN(3),
  /** Container lifecycle, migration, images, snapshots and all reads; no cluster, host or certificate changes. */
  OPERATOR(2),
  /** Reads only: {@code Get*}, {@code List*} and {@code Watch*} methods. */
  VIEWER(1),
  /** An agent's (or coordinator's) host identity: agent-to-coordinator and agent-to-agent calls. */
  HOST(0);

  private final int clientRank;

  Role(int clientRank) {
    this.clientRank = clientRank;
  }

  /** The lower-case name written into certificates and shown to people: {@code admin}, ... */
  public String certificateName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** True for the roles of people and scripts ({@code admin}, {@code operator}, {@code viewer}). */
  public boolean isClientRole() {
    return this != HOST;
  }

  /**
   * The client roles at or above {@code minimum}: {@code atLeast(OPERATOR)} is {admin, operator}.
   *
   * @throws IllegalArgumentException for {@link #HOST}, which has no place in the order
   */
  public static Set<Role> atLeast(Role minimum) {
    if (!minimum.isClientRole()) {
      throw new IllegalArgumentException("host is not a client role: name it explicitly");
    }
    EnumSet<Role> roles = EnumSet.noneOf(Role.class);
    for (Role role : values()) {
      if (role.isClientRole() && role.clientRank >= minimum.clientRank) {
        roles.add(role);
      }
    }
    return roles;
  }

  /**
   * The role named {@code name} as written by {@link #certificateName()}.
   *
   * @throws IllegalArgumentException when no role has that exact name (case matters)
   */
  public static Role fromCertificateName(String name) {
    for (Role role : values()) {
      if (role.certificateName().equals(name)) {
        return role;
      }
    }
    throw new IllegalArgumentException("unknown role '" + name + "'");
  }
}
