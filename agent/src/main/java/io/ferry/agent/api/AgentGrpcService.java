package io.ferry.agent.api;

import io.ferry.agent.host.HostFacts;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.GetHostInfoRequest;
import io.ferry.proto.v1.GetHostInfoResponse;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;

/**
 * The agent's gRPC face: translates {@code ferry.v1.AgentService} calls into calls on the agent's
 * domain and domain results and errors back into messages and gRPC statuses.
 */
public final class AgentGrpcService extends AgentServiceGrpc.AgentServiceImplBase {

  private final Supplier<HostFacts> hostFacts;

  /** @param hostFacts current facts; called on every request, so it must be cheap */
  public AgentGrpcService(Supplier<HostFacts> hostFacts) {
    this.hostFacts = hostFacts;
  }

  @Override
  public void getHostInfo(GetHostInfoRequest request, StreamObserver<GetHostInfoResponse> response) {
    response.onNext(GetHostInfoResponse.newBuilder().setHost(HostInfoMapper.toProto(hostFacts.get())).build());
    response.onCompleted();
  }
}
