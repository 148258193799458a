package io.ferry.coordinator.api;

import io.ferry.common.security.Redemption;
import io.ferry.coordinator.security.HostAdmission;
import io.ferry.proto.v1.JoinRequest;
import io.ferry.proto.v1.JoinResponse;
import io.ferry.proto.v1.JoinServiceGrpc;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/**
 * {@code ferry.v1.JoinService}, alone on the coordinator's join port (server-authenticated TLS,
 * no client certificate): a token is the caller's only credential. Refusals: UNAUTHENTICATED for a
 * malformed or unknown token, PERMISSION_DENIED for an expired, used or foreign one,
 * INVALID_ARGUMENT for a bad request; each with the reason.
 */
public final class JoinApi extends JoinServiceGrpc.JoinServiceImplBase {

  private final HostAdmission admission;
  private final String caCertificatePem;

  public JoinApi(HostAdmission admission, String caCertificatePem) {
    this.admission = admission;
    this.caCertificatePem = caCertificatePem;
  }

  @Override
  public void join(JoinRequest request, StreamObserver<JoinResponse> response) {
    ApiErrors.unary(response, () -> {
      Redemption result = admission.join(
          request.getToken(), request.getHostName(), request.getCertificateRequestPem(), request.getAddressesList());
      if (result instanceof Redemption.Refused refused) {
        Status status = switch (refused.reason()) {
          case MALFORMED, UNKNOWN -> Status.UNAUTHENTICATED;
          case EXPIRED, ALREADY_USED, OTHER_HOST -> Status.PERMISSION_DENIED;
          case BAD_REQUEST -> Status.INVALID_ARGUMENT;
        };
        throw status.withDescription(refused.reason() + ": " + refused.message()).asRuntimeException();
      }
      Redemption.Joined joined = (Redemption.Joined) result;
      return JoinResponse.newBuilder()
          .setCertificateChainPem(joined.certificate().certificateChainPem())
          .setCaCertificatePem(caCertificatePem)
          .build();
    });
  }
}
