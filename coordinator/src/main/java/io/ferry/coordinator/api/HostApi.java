package io.ferry.coordinator.api;

import io.ferry.common.security.JoinToken;
import io.ferry.coordinator.security.HostAdmission;
import io.ferry.proto.v1.AddHostRequest;
import io.ferry.proto.v1.AddHostResponse;
import io.ferry.proto.v1.RemoveHostRequest;
import io.ferry.proto.v1.RemoveHostResponse;
import io.ferry.coordinator.operations.Evacuations;
import io.ferry.proto.v1.EvacuateHostRequest;
import io.ferry.proto.v1.Operation;
import io.ferry.proto.v1.RestoreHostRequest;
import io.ferry.coordinator.CoordinatorException;
import io.ferry.coordinator.CoordinatorException.Kind;
import io.ferry.coordinator.hosts.HostDirectory;
import io.ferry.proto.v1.GetHostRequest;
import io.ferry.proto.v1.Host;
import io.ferry.proto.v1.HostServiceGrpc;
import io.ferry.proto.v1.ListHostsRequest;
import io.ferry.proto.v1.ListHostsResponse;
import io.grpc.stub.StreamObserver;
import java.util.Map;

/** {@code ferry.v1.HostService}: the hosts with their state and usage, from any coordinator. */
final class HostApi extends HostServiceGrpc.HostServiceImplBase {

  private final HostDirectory hosts;
  private final LeaderGate gate;
  private final Evacuations evacuations;
  private final HostAdmission admission;

  HostApi(HostDirectory hosts, LeaderGate gate, Evacuations evacuations, HostAdmission admission) {
    this.hosts = hosts;
    this.gate = gate;
    this.evacuations = evacuations;
    this.admission = admission;
  }

  @Override
  public void evacuate(EvacuateHostRequest request, StreamObserver<Operation> response) {
    gate.write(response, () -> ApiMapper.operation(evacuations.evacuate(request)),
        channel -> HostServiceGrpc.newBlockingStub(channel).evacuate(request));
  }

  @Override
  public void restore(RestoreHostRequest request, StreamObserver<Operation> response) {
    gate.write(response, () -> ApiMapper.operation(evacuations.restore(request)),
        channel -> HostServiceGrpc.newBlockingStub(channel).restore(request));
  }

  /** Admin only (see {@link CoordinatorAccess}): a join token for a new host. */
  @Override
  public void addHost(AddHostRequest request, StreamObserver<AddHostResponse> response) {
    ApiErrors.unary(response, () -> {
      if (request.getLifetimeSeconds() < 0) {
        throw new CoordinatorException(Kind.INVALID_ARGUMENT, "lifetime_seconds cannot be negative");
      }
      JoinToken token = admission.addHost(request.getName(), java.time.Duration.ofSeconds(request.getLifetimeSeconds()));
      return AddHostResponse.newBuilder()
          .setJoinToken(token.encode())
          .setExpiresAt(com.google.protobuf.Timestamp.newBuilder().setSeconds(token.expiresAt().getEpochSecond()))
          .build();
    });
  }

  /** Admin only: revokes every certificate issued to the host by a join. */
  @Override
  public void removeHost(RemoveHostRequest request, StreamObserver<RemoveHostResponse> response) {
    ApiErrors.unary(response, () -> {
      if (io.ferry.common.Names.problem("host", request.getName()) != null) {
        throw new CoordinatorException(Kind.INVALID_ARGUMENT, io.ferry.common.Names.problem("host", request.getName()));
      }
      RemoveHostResponse.Builder out = RemoveHostResponse.newBuilder();
      admission.removeHost(request.getName()).forEach(serial -> out.addRevokedSerials(serial.toString(16)));
      return out.build();
    });
  }

  @Override
  public void listHosts(ListHostsRequest request, StreamObserver<ListHostsResponse> response) {
    ApiErrors.unary(
        response,
        () -> {
          ListHostsResponse.Builder out = ListHostsResponse.newBuilder();
          for (HostDirectory.HostView view : hosts.hosts()) {
            Map<String, String> labels = view.member().registration().labels();
            boolean matches = request.getLabelsMap().entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
            if (matches) {
              out.addHosts(ApiMapper.host(view));
            }
          }
          return out.build();
        });
  }

  @Override
  public void getHost(GetHostRequest request, StreamObserver<Host> response) {
    ApiErrors.unary(
        response,
        () ->
            hosts.host(request.getName())
                .map(ApiMapper::host)
                .orElseThrow(() -> new CoordinatorException(Kind.NOT_FOUND, "no host " + request.getName() + " in the cluster")));
  }
}
