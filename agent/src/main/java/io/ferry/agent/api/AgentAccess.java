package io.ferry.agent.api;

import io.ferry.common.security.AccessPolicy;
import io.ferry.common.security.Role;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.MigrationServiceGrpc;
import io.grpc.health.v1.HealthGrpc;
import java.util.EnumSet;
import java.util.Set;

/**
 * Who may call what on an agent: {@code host} identities (the coordinators, and peer agents on
 * the migration data plane) and {@code admin} (the direct {@code ferry agent ...} commands) may
 * call {@code AgentService} and {@code MigrationService}; health and reflection are open to any
 * authenticated identity. Operators and viewers go through a coordinator, never to an agent.
 *
 * <p>Which host may send data for which migration or replica is decided per call by {@link
 * MigrationGrpcService} (token plus the source host's certificate identity), not here. The standby
 * replica methods are listed one by one (hosts and admins), so that widening the service's entry
 * never opens them by accident.
 */
public final class AgentAccess {

  private AgentAccess() {}

  public static AccessPolicy policy() {
    Set<Role> hostsAndAdmins = EnumSet.of(Role.HOST, Role.ADMIN);
    Set<Role> everyone = EnumSet.allOf(Role.class);
    return AccessPolicy.builder()
        .service(AgentServiceGrpc.SERVICE_NAME, hostsAndAdmins)
        .service(MigrationServiceGrpc.SERVICE_NAME, hostsAndAdmins)
        .method(MigrationServiceGrpc.getPrepareReplicaMethod(), hostsAndAdmins)
        .method(MigrationServiceGrpc.getReplicateOutMethod(), hostsAndAdmins)
        .method(MigrationServiceGrpc.getPromoteReplicaMethod(), hostsAndAdmins)
        .method(MigrationServiceGrpc.getDropReplicaMethod(), hostsAndAdmins)
        .method(MigrationServiceGrpc.getListReplicasMethod(), hostsAndAdmins)
        .method(MigrationServiceGrpc.getReceiveReplicaMethod(), hostsAndAdmins)
        .method(MigrationServiceGrpc.getFetchReplicaImageMethod(), hostsAndAdmins)
        .service(HealthGrpc.SERVICE_NAME, everyone)
        .service("grpc.reflection.v1.ServerReflection", everyone)
        .service("grpc.reflection.v1alpha.ServerReflection", everyone)
        .build();
  }
}
