package io.ferry.coordinator.api;

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

  HostApi(HostDirectory hosts, LeaderGate gate, Evacuations evacuations) {
    this.hosts = hosts;
    this.gate = gate;
    this.evacuations = evacuations;
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
