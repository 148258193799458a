package io.ferry.common.security;

import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which roles may call which gRPC methods: a plain, immutable table from full method names
 * ({@code ferry.v1.Containers/StartContainer}) or whole services ({@code ferry.v1.Containers})
 * to the set of {@link Role}s allowed. A method's own entry wins over its service's; a method in
 * neither is denied to everyone, admin included (default deny: a new RPC is unreachable until
 * someone decides who may call it).
 *
 * <p>The intended mapping, which the coordinator and agent fill in with their own methods:
 *
 * <ul>
 *   <li>{@code admin}: every public method, including cluster, host and certificate changes
 *       (host add/remove, join tokens, revocation, cluster configuration), and the agent's
 *       direct API ({@code ferry agent ...});
 *   <li>{@code operator}: container lifecycle, migration, images, snapshots, operations, and
 *       every read; no cluster, host or certificate changes;
 *   <li>{@code viewer}: reads only, the {@code Get*}, {@code List*} and {@code Watch*} methods
 *       ({@link #isRead}, {@link Builder#serviceByVerb});
 *   <li>{@code host}: the internal services, agent to coordinator and agent to agent
 *       (migration streams); no public API.
 * </ul>
 *
 * Built with {@link #builder()}; {@link Role#atLeast} gives the usual role sets.
 */
public final class AccessPolicy {

  /** The outcome of {@link #check}. */
  public enum Verdict {
    /** The role is allowed to call the method. */
    ALLOWED,
    /** The method is in the policy, but not for this role. */
    ROLE_NOT_ALLOWED,
    /** Neither the method nor its service is in the policy: denied to everyone. */
    NOT_IN_POLICY
  }

  private final Map<String, Set<Role>> methods;
  private final Map<String, Set<Role>> services;

  private AccessPolicy(Map<String, Set<Role>> methods, Map<String, Set<Role>> services) {
    this.methods = Collections.unmodifiableMap(new LinkedHashMap<>(methods));
    this.services = Collections.unmodifiableMap(new LinkedHashMap<>(services));
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Whether {@code role} may call {@code fullMethodName}. */
  public Verdict check(String fullMethodName, Role role) {
    Optional<Set<Role>> allowed = rolesFor(fullMethodName);
    if (allowed.isEmpty()) {
      return Verdict.NOT_IN_POLICY;
    }
    return allowed.get().contains(role) ? Verdict.ALLOWED : Verdict.ROLE_NOT_ALLOWED;
  }

  /** The roles allowed to call {@code fullMethodName}, or empty when it is not in the policy. */
  public Optional<Set<Role>> rolesFor(String fullMethodName) {
    Set<Role> roles = methods.get(fullMethodName);
    if (roles == null) {
      String service = MethodDescriptor.extractFullServiceName(fullMethodName);
      roles = service == null ? null : services.get(service);
    }
    return Optional.ofNullable(roles);
  }

  /**
   * True for read methods by name: the bare method name starts with {@code Get}, {@code List} or
   * {@code Watch} followed by an upper-case letter or the end ({@code GetHost}, {@code List},
   * not {@code Getaway}).
   */
  public static boolean isRead(String fullMethodName) {
    String bare = fullMethodName.substring(fullMethodName.lastIndexOf('/') + 1);
    for (String verb : new String[] {"Get", "List", "Watch"}) {
      if (bare.startsWith(verb) && (bare.length() == verb.length() || Character.isUpperCase(bare.charAt(verb.length())))) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "AccessPolicy[methods=" + methods + ", services=" + services + "]";
  }

  /**
   * Builds an {@link AccessPolicy}. Naming a method or service twice, an empty role set, or a
   * method name without exactly one {@code /} is a programming error: {@link
   * IllegalArgumentException}. Not thread-safe.
   */
  public static final class Builder {

    private final Map<String, Set<Role>> methods = new LinkedHashMap<>();
    private final Map<String, Set<Role>> services = new LinkedHashMap<>();

    private Builder() {}

    /** Allows {@code roles} to call the method {@code fullMethodName} ({@code package.Service/Method}). */
    public Builder method(String fullMethodName, Set<Role> roles) {
      int slash = fullMethodName.indexOf('/');
      if (slash <= 0 || slash == fullMethodName.length() - 1 || fullMethodName.indexOf('/', slash + 1) >= 0) {
        throw new IllegalArgumentException("'" + fullMethodName + "' is not a full method name (package.Service/Method)");
      }
      put(methods, "method", fullMethodName, roles);
      return this;
    }

    /** Allows {@code roles} to call {@code method}. */
    public Builder method(MethodDescriptor<?, ?> method, Set<Role> roles) {
      return method(method.getFullMethodName(), roles);
    }

    /** Allows {@code roles} to call every method of the service {@code serviceName} ({@code package.Service}) without its own entry. */
    public Builder service(String serviceName, Set<Role> roles) {
      if (serviceName.isEmpty() || serviceName.contains("/")) {
        throw new IllegalArgumentException("'" + serviceName + "' is not a full service name (package.Service)");
      }
      put(services, "service", serviceName, roles);
      return this;
    }

    /**
     * Adds every method of {@code service}: {@code readers} for its reads ({@link #isRead}),
     * {@code writers} for the rest.
     */
    public Builder serviceByVerb(ServiceDescriptor service, Set<Role> readers, Set<Role> writers) {
      for (MethodDescriptor<?, ?> method : service.getMethods()) {
        method(method, isRead(method.getFullMethodName()) ? readers : writers);
      }
      return this;
    }

    public AccessPolicy build() {
      return new AccessPolicy(methods, services);
    }

    private static void put(Map<String, Set<Role>> table, String what, String name, Set<Role> roles) {
      if (roles.isEmpty()) {
        throw new IllegalArgumentException(what + " " + name + " needs at least one role (leave it out to deny it)");
      }
      if (table.putIfAbsent(name, Collections.unmodifiableSet(EnumSet.copyOf(roles))) != null) {
        throw new IllegalArgumentException(what + " " + name + " is already in the policy");
      }
    }
  }
}
