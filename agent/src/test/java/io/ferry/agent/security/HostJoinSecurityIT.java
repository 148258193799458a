package io.ferry.agent.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.agent.config.SecuritySettings;
import io.ferry.common.security.ClusterTls;
import io.ferry.common.security.CredentialsException;
import io.ferry.common.security.IssuedCertificate;
import io.ferry.common.security.InMemoryJoinTokenStore;
import io.ferry.common.security.JoinTls;
import io.ferry.common.security.JoinToken;
import io.ferry.common.security.JoinTokens;
import io.ferry.common.security.Redemption;
import io.ferry.common.security.RevocationList;
import io.ferry.common.security.TestPki;
import io.ferry.proto.v1.JoinRequest;
import io.ferry.proto.v1.JoinResponse;
import io.ferry.proto.v1.JoinServiceGrpc;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's side of joining ({@link HostJoin}) against a join endpoint over real TLS on loopback,
 * served as the coordinator serves it ({@link JoinTls}, the common {@link JoinTokens}; the
 * coordinator's ZooKeeper store is exercised by CoordinatorSecurityIT): a good token gives the host
 * its files, a used or expired one leaves it without, saying why.
 */
class HostJoinSecurityIT {

  @TempDir Path dir;
  private TestPki pki;
  private JoinTokens tokens;
  private Server server;
  private final Clock clock = Clock.systemUTC();

  @BeforeEach
  void startJoinEndpoint() throws Exception {
    pki = TestPki.in(dir.resolve("ca"));
    tokens = new JoinTokens(pki.authority(), new InMemoryJoinTokenStore(), clock);
    IssuedCertificate coordinator = pki.authority().issueHost("coordinator-1", List.of("127.0.0.1"));
    server = NettyServerBuilder.forPort(0, JoinTls.serverCredentials(coordinator.certifiedKey()))
        .addService(new JoinServiceGrpc.JoinServiceImplBase() {
          @Override
          public void join(JoinRequest request, StreamObserver<JoinResponse> response) {
            try {
              Redemption result = tokens.redeem(request.getToken(), request.getHostName(), request.getCertificateRequestPem(), request.getAddressesList());
              if (result instanceof Redemption.Refused refused) {
                response.onError(Status.PERMISSION_DENIED.withDescription(refused.reason() + ": " + refused.message()).asRuntimeException());
                return;
              }
              response.onNext(JoinResponse.newBuilder()
                  .setCertificateChainPem(((Redemption.Joined) result).certificate().certificateChainPem())
                  .setCaCertificatePem(pki.authority().certificatePem()).build());
              response.onCompleted();
            } catch (Exception e) {
              response.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
            }
          }
        })
        .build().start();
  }

  @AfterEach
  void stop() {
    server.shutdownNow();
  }

  @Test
  void aGoodTokenGivesTheHostItsCertificateOnceAndAUsedOneIsRefused() throws Exception {
    JoinToken token = tokens.issue("host-7", Duration.ofMinutes(5));
    Path security = dir.resolve("host-7");
    join("host-7", security, token.encode());

    ClusterTls tls = ClusterTls.loadHost(security, RevocationList::empty, clock);
    assertThat(tls.identity().name()).isEqualTo("host-7");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(security.resolve(ClusterTls.HOST_KEY_FILE)))).isEqualTo("rw-------");

    Path again = dir.resolve("host-7-again");
    assertThatThrownBy(() -> join("host-7", again, token.encode()))
        .isInstanceOf(CredentialsException.class)
        .hasMessageContaining("PERMISSION_DENIED")
        .hasMessageContaining("ALREADY_USED");
    assertThat(ClusterTls.hostFilesIn(again)).isFalse();
  }

  @Test
  void anExpiredTokenIsRefused() throws Exception {
    Clock past = Clock.fixed(Instant.now().minus(Duration.ofHours(2)), ZoneOffset.UTC);
    InMemoryJoinTokenStore store = new InMemoryJoinTokenStore();
    JoinToken old = new JoinTokens(pki.authority(), store, past).issue("host-8", Duration.ofHours(1));
    tokens = new JoinTokens(pki.authority(), store, clock);

    Path security = dir.resolve("host-8");
    assertThatThrownBy(() -> join("host-8", security, old.encode()))
        .isInstanceOf(CredentialsException.class)
        .hasMessageContaining("EXPIRED");
    assertThat(ClusterTls.hostFilesIn(security)).isFalse();
  }

  @Test
  void aTokenPinningAnotherCaTrustsNoCoordinatorAndATokenForAnotherHostIsNotUsed() throws Exception {
    JoinToken token = tokens.issue("host-9", Duration.ofMinutes(5));
    JoinToken pinnedElsewhere = new JoinToken("host-9", token.expiresAt(), TestPki.in(dir.resolve("other")).authority().fingerprint(), token.secret());
    assertThatThrownBy(() -> join("host-9", dir.resolve("a"), pinnedElsewhere.encode())).isInstanceOf(CredentialsException.class)
        .hasMessageContaining("UNAVAILABLE");
    assertThatThrownBy(() -> join("host-10", dir.resolve("b"), token.encode())).isInstanceOf(CredentialsException.class)
        .hasMessageContaining("is for host host-9");
    join("host-9", dir.resolve("c"), token.encode());
    assertThat(ClusterTls.hostFilesIn(dir.resolve("c"))).isTrue();
  }

  private void join(String host, Path security, String token) throws Exception {
    new HostJoin(host,
        new SecuritySettings(security, Optional.of(token), Optional.of("127.0.0.1:" + server.getPort()), Duration.ofSeconds(10)),
        List.of("127.0.0.1"), clock).join();
  }
}
