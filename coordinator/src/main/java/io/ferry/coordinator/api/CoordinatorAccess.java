package io.ferry.coordinator.api;

import io.ferry.common.security.AccessPolicy;
import io.ferry.common.security.Role;
import io.ferry.proto.v1.CertificateServiceGrpc;
import io.ferry.proto.v1.ContainerServiceGrpc;
import io.ferry.proto.v1.EventServiceGrpc;
import io.ferry.proto.v1.HostServiceGrpc;
import io.ferry.proto.v1.ImageServiceGrpc;
import io.ferry.proto.v1.OperationServiceGrpc;
import io.grpc.health.v1.HealthGrpc;
import java.util.EnumSet;
import java.util.Set;

/**
 * Who may call what on a coordinator's API server. Every {@code ferry.v1} method is listed by its
 * service's descriptor, so a new RPC lands in a role set by its verb and never falls outside the
 * policy unnoticed:
 *
 * <ul>
 *   <li>containers, images, operations, events: reads ({@code Get*}, {@code List*}, {@code
 *       Watch*}) for viewer and up; everything else (lifecycle, exec, snapshots, copy, migrate,
 *       image import/delete/alias, cancel) for operator and up;
 *   <li>hosts: reads for viewer and up; host changes (add with a join token, remove and revoke,
 *       evacuate, restore) for admin only;
 *   <li>certificates (issue, list, revoke): admin only, reads included;
 *   <li>health and reflection: any authenticated identity, hosts included.
 * </ul>
 *
 * A follower forwards writes to the leader presenting its own host certificate, so the write
 * methods the leader gate forwards also admit {@code host}; the {@link LeaderGate} then refuses a
 * host caller unless the call is marked forwarded and the host is a live coordinator of the
 * cluster, so an agent's certificate can never drive the public API.
 */
public final class CoordinatorAccess {

  /** The standard gRPC reflection service (v1 and the older alpha name). */
  static final String REFLECTION_V1 = "grpc.reflection.v1.ServerReflection";
  static final String REFLECTION_ALPHA = "grpc.reflection.v1alpha.ServerReflection";

  private CoordinatorAccess() {}

  public static AccessPolicy policy() {
    Set<Role> viewers = Role.atLeast(Role.VIEWER);
    Set<Role> operators = Role.atLeast(Role.OPERATOR);
    Set<Role> admins = EnumSet.of(Role.ADMIN);
    Set<Role> everyone = EnumSet.allOf(Role.class);
    // A follower forwards writes to the leader with its own (host) certificate: the leader trusts
    // the follower's check of the original caller. Reads are never forwarded.
    Set<Role> operatorsOrForwarded = with(operators, Role.HOST);
    return AccessPolicy.builder()
        .serviceByVerb(ContainerServiceGrpc.getServiceDescriptor(), viewers, operatorsOrForwarded)
        .serviceByVerb(ImageServiceGrpc.getServiceDescriptor(), viewers, operatorsOrForwarded)
        .serviceByVerb(OperationServiceGrpc.getServiceDescriptor(), viewers, operatorsOrForwarded)
        .serviceByVerb(EventServiceGrpc.getServiceDescriptor(), viewers, operators)
        .serviceByVerb(HostServiceGrpc.getServiceDescriptor(), viewers, with(admins, Role.HOST))
        // Certificates are identities: even the list is for admins only.
        .service(CertificateServiceGrpc.SERVICE_NAME, admins)
        .service(HealthGrpc.SERVICE_NAME, everyone)
        .service(REFLECTION_V1, everyone)
        .service(REFLECTION_ALPHA, everyone)
        .build();
  }

  private static Set<Role> with(Set<Role> roles, Role extra) {
    EnumSet<Role> all = EnumSet.copyOf(roles);
    all.add(extra);
    return all;
  }
}
