package io.ferry.agent.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.common.security.ClusterTls;
import io.ferry.common.security.RevocationList;
import io.ferry.common.security.RevocationReason;
import io.ferry.common.security.Revocations;
import io.ferry.common.security.TestPki;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.GetHostInfoRequest;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RemovedHostGuardTest {

  @Test
  void aHostWhoseOwnCertificateIsRevokedRefusesEveryCall(@TempDir Path dir) throws Exception {
    TestPki pki = TestPki.in(dir.resolve("ca"));
    Revocations revocations = Revocations.inMemory(RevocationList.empty(), Clock.systemUTC());
    ClusterTls own = ClusterTls.of(pki.authority().issueHost("host-9", List.of("127.0.0.1")).certifiedKey(),
        pki.authority().certificate(), revocations, Clock.systemUTC());
    RemovedHostGuard guard = new RemovedHostGuard(own);
    String name = InProcessServerBuilder.generateName();
    Server server = InProcessServerBuilder.forName(name)
        .addService(ServerInterceptors.intercept(new AgentServiceGrpc.AgentServiceImplBase() {}, guard)).build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    try {
      var stub = AgentServiceGrpc.newBlockingStub(channel);
      assertThatThrownBy(() -> stub.getHostInfo(GetHostInfoRequest.getDefaultInstance()))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));

      revocations.revoke(own.key().certificate().getSerialNumber(), RevocationReason.HOST_REMOVED);

      assertThat(guard.removed()).isTrue();
      assertThatThrownBy(() -> stub.getHostInfo(GetHostInfoRequest.getDefaultInstance()))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(e.getStatus().getDescription()).contains("host-9 was removed");
          });
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
    }
  }
}
