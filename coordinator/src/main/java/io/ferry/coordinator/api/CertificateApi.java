package io.ferry.coordinator.api;

import com.google.protobuf.Timestamp;
import io.ferry.common.security.AccessInterceptor;
import io.ferry.common.security.SignedCertificate;
import io.ferry.coordinator.security.IssuedRecords;
import io.ferry.proto.v1.CertificateServiceGrpc;
import io.ferry.proto.v1.IssueClientCertificateRequest;
import io.ferry.proto.v1.IssueClientCertificateResponse;
import io.ferry.proto.v1.IssuedCertificateInfo;
import io.ferry.proto.v1.ListCertificatesRequest;
import io.ferry.proto.v1.ListCertificatesResponse;
import io.ferry.proto.v1.RevokeCertificateRequest;
import io.ferry.proto.v1.RevokeCertificateResponse;
import io.grpc.stub.StreamObserver;
import java.util.Optional;

/**
 * {@code ferry.v1.CertificateService}: client certificates for people and scripts, the list of
 * what the cluster issued, and revocation of one serial. Admin only ({@link CoordinatorAccess});
 * runs on any coordinator holding the CA key (the records and the revocation list are in
 * ZooKeeper, so every coordinator sees the result).
 */
final class CertificateApi extends CertificateServiceGrpc.CertificateServiceImplBase {

  private final IssuedRecords records;
  private final String caCertificatePem;

  CertificateApi(IssuedRecords records, String caCertificatePem) {
    this.records = records;
    this.caCertificatePem = caCertificatePem;
  }

  @Override
  public void issueClientCertificate(IssueClientCertificateRequest request, StreamObserver<IssueClientCertificateResponse> response) {
    ApiErrors.unary(response, () -> {
      SignedCertificate signed = records.issueClient(request.getName(), request.getRole(), request.getCertificateRequestPem());
      return IssueClientCertificateResponse.newBuilder()
          .setCertificateChainPem(signed.certificateChainPem())
          .setCaCertificatePem(caCertificatePem)
          .setSerial(signed.serial().toString(16))
          .setExpiresAt(Timestamp.newBuilder().setSeconds(signed.notAfter().getEpochSecond()))
          .build();
    });
  }

  @Override
  public void listCertificates(ListCertificatesRequest request, StreamObserver<ListCertificatesResponse> response) {
    ApiErrors.unary(response, () -> {
      ListCertificatesResponse.Builder out = ListCertificatesResponse.newBuilder();
      for (IssuedRecords.Issued issued : records.list()) {
        IssuedCertificateInfo.Builder info = IssuedCertificateInfo.newBuilder()
            .setSerial(issued.serial().toString(16))
            .setName(issued.name())
            .setRole(issued.role().certificateName())
            .setRevoked(issued.revoked());
        issued.notAfter().ifPresent(t -> info.setExpiresAt(Timestamp.newBuilder().setSeconds(t.getEpochSecond())));
        out.addCertificates(info);
      }
      return out.build();
    });
  }

  @Override
  public void revokeCertificate(RevokeCertificateRequest request, StreamObserver<RevokeCertificateResponse> response) {
    ApiErrors.unary(response, () -> {
      boolean newly = records.revoke(request.getSerial(), request.getReason(), Optional.ofNullable(AccessInterceptor.SERIAL.get()));
      return RevokeCertificateResponse.newBuilder()
          .setSerial(request.getSerial().strip().toLowerCase())
          .setNewlyRevoked(newly)
          .build();
    });
  }
}
