package io.ferry.common.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Netty gRPC server on 127.0.0.1 with {@link MutualTls} server credentials and the {@link
 * AccessInterceptor}, called by real TLS clients: who gets in, who is refused, and with what status.
 */
class MutualTlsServerTest {

  @TempDir Path directory;

  private CertificateAuthority authority;
  private Revocations revocations;
  private ClusterTrustManager trust;
  private Server server;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeEach
  void startServer() throws IOException {
    authority = CertificateAuthority.create(directory.resolve("ca"), CertificateValidity.DEFAULTS, Clock.systemUTC());
    revocations = Revocations.inMemory(RevocationList.empty(), Clock.systemUTC());
    trust = new ClusterTrustManager(authority.certificate(), revocations, Clock.systemUTC());
    CertifiedKey hostKey = authority.issueHost("server-1", List.of("localhost", "127.0.0.1")).certifiedKey();
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), MutualTls.serverCredentials(hostKey, trust))
            .addService(ServerInterceptors.intercept(ThingService.definition(), new AccessInterceptor(ThingService.policy(), revocations)))
            .build()
            .start();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channels.forEach(ManagedChannel::shutdownNow);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void anAdminCallsAndTheServiceSeesItsIdentity() {
    ManagedChannel channel = channel(clientCredentials(Role.ADMIN, "alice"));

    assertThat(call(channel, ThingService.GET)).isEqualTo("got x for alice(admin)");
    assertThat(call(channel, ThingService.DELETE)).isEqualTo("deleted x for alice(admin)");
  }

  @Test
  void aClientWithoutACertificateFailsTheHandshake() {
    ChannelCredentials noCertificate = TlsChannelCredentials.newBuilder().trustManager(trust).build();

    StatusRuntimeException refused = refusal(channel(noCertificate), ThingService.GET);

    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(causes(refused)).contains("CERTIFICATE_REQUIRED");
  }

  @Test
  void aClientWithACertificateFromAnotherCaFailsTheHandshake() throws IOException {
    CertificateAuthority other = CertificateAuthority.create(directory.resolve("other-ca"), CertificateValidity.DEFAULTS, Clock.systemUTC());
    CertifiedKey foreign = other.issueClient(new Identity("alice", Role.ADMIN)).certifiedKey();
    ChannelCredentials credentials = TlsChannelCredentials.newBuilder().keyManager(foreign.keyManagers()).trustManager(trust).build();

    assertThat(statusOf(channel(credentials), ThingService.GET).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void theServerRefusesAForeignCertificateEvenWhenTheClientInsistsOnSendingIt() throws IOException {
    CertificateAuthority other = CertificateAuthority.create(directory.resolve("other-ca"), CertificateValidity.DEFAULTS, Clock.systemUTC());
    CertifiedKey foreign = other.issueClient(new Identity("alice", Role.ADMIN)).certifiedKey();
    ChannelCredentials credentials =
        TlsChannelCredentials.newBuilder().keyManager(new AlwaysPresentingKeyManager(foreign)).trustManager(trust).build();

    StatusRuntimeException refused = refusal(channel(credentials), ThingService.GET);

    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    // The server received the certificate and its trust manager refused it (Netty sends a
    // generic alert for a failed PKIX path); a client sending nothing gets CERTIFICATE_REQUIRED.
    assertThat(causes(refused)).contains("ALERT_INTERNAL_ERROR").doesNotContain("CERTIFICATE_REQUIRED");
  }

  @Test
  void mutualTlsRefusesToPresentAForeignCertificate() throws IOException {
    CertificateAuthority other = CertificateAuthority.create(directory.resolve("other-ca"), CertificateValidity.DEFAULTS, Clock.systemUTC());
    CertifiedKey foreign = other.issueClient(new Identity("alice", Role.ADMIN)).certifiedKey();

    assertThatThrownBy(() -> MutualTls.channelCredentials(foreign, trust))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not issued by the cluster CA");
  }

  @Test
  void aCertificateRevokedAfterTheServerStartedIsRefusedOnItsNextConnectionAndCall() throws IOException {
    IssuedCertificate issued = authority.issueClient(new Identity("bob", Role.OPERATOR));
    ChannelCredentials credentials = MutualTls.channelCredentials(issued.certifiedKey(), trust);
    ManagedChannel open = channel(credentials);
    assertThat(call(open, ThingService.GET)).isEqualTo("got x for bob(operator)");

    revocations.revoke(issued.serial(), RevocationReason.KEY_COMPROMISED);

    StatusRuntimeException onNewConnection = refusal(channel(credentials), ThingService.GET);
    assertThat(onNewConnection.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(causes(onNewConnection)).contains("CERTIFICATE_REVOKED");
    Status onOpenConnection = statusOf(open, ThingService.GET);
    assertThat(onOpenConnection.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(onOpenConnection.getDescription()).contains("bob(operator)").contains("revoked");
  }

  @Test
  void aPlaintextClientIsRefused() {
    assertThat(statusOf(channel(InsecureChannelCredentials.create()), ThingService.GET).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void aViewerReadsButCannotWrite() {
    ManagedChannel channel = channel(clientCredentials(Role.VIEWER, "carol"));

    assertThat(call(channel, ThingService.GET)).isEqualTo("got x for carol(viewer)");
    Status write = statusOf(channel, ThingService.DELETE);
    assertThat(write.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(write.getDescription()).contains("viewer").contains("carol").contains("ferry.test.Things/DeleteThing");
  }

  @Test
  void aMethodMissingFromThePolicyIsDeniedEvenToAnAdmin() {
    Status status = statusOf(channel(clientCredentials(Role.ADMIN, "alice")), ThingService.SECRET);

    assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(status.getDescription()).contains("not in the access policy");
  }

  @Test
  void aHostIdentityIsDeniedClientMethods() {
    CertifiedKey host = authority.issueHost("agent-7", List.of()).certifiedKey();

    assertThat(statusOf(channel(MutualTls.channelCredentials(host, trust)), ThingService.GET).getCode())
        .isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void aClientRefusesAServerWhoseCertificateDoesNotNameTheAddressDialled() throws IOException, InterruptedException {
    CertifiedKey elsewhere = authority.issueHost("server-2", List.of("10.1.2.3")).certifiedKey();
    Server wrongName =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), MutualTls.serverCredentials(elsewhere, trust))
            .addService(ServerInterceptors.intercept(ThingService.definition(), new AccessInterceptor(ThingService.policy(), revocations)))
            .build()
            .start();
    try {
      ManagedChannel channel = track(Grpc.newChannelBuilder("127.0.0.1:" + wrongName.getPort(), clientCredentials(Role.ADMIN, "alice")).build());

      assertThat(statusOf(channel, ThingService.GET).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    } finally {
      wrongName.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aServerMustPresentAHostCertificate() {
    CertifiedKey client = authority.issueClient(new Identity("alice", Role.ADMIN)).certifiedKey();

    assertThatThrownBy(() -> MutualTls.serverCredentials(client, trust))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("host certificate");
  }

  @Test
  void aCallWithoutATlsSessionIsUnauthenticated() throws IOException, InterruptedException {
    String name = InProcessServerBuilder.generateName();
    Server inProcess =
        InProcessServerBuilder.forName(name)
            .addService(ServerInterceptors.intercept(ThingService.definition(), new AccessInterceptor(ThingService.policy(), revocations)))
            .build()
            .start();
    try {
      Status status = statusOf(track(InProcessChannelBuilder.forName(name).build()), ThingService.GET);

      assertThat(status.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(status.getDescription()).contains("mutual TLS");
    } finally {
      inProcess.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private ChannelCredentials clientCredentials(Role role, String name) {
    return MutualTls.channelCredentials(authority.issueClient(new Identity(name, role)).certifiedKey(), trust);
  }

  private ManagedChannel channel(ChannelCredentials credentials) {
    return track(Grpc.newChannelBuilder("127.0.0.1:" + server.getPort(), credentials).build());
  }

  private ManagedChannel track(ManagedChannel channel) {
    channels.add(channel);
    return channel;
  }

  private static String call(ManagedChannel channel, MethodDescriptor<String, String> method) {
    return ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "x");
  }

  private static Status statusOf(ManagedChannel channel, MethodDescriptor<String, String> method) {
    return refusal(channel, method).getStatus();
  }

  private static StatusRuntimeException refusal(ManagedChannel channel, MethodDescriptor<String, String> method) {
    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class, () -> call(channel, method));
    assertThat(refused).as("the call to %s must be refused", method.getFullMethodName()).isNotNull();
    return refused;
  }

  /** The messages of {@code e} and its causes, joined: where the TLS alert's name shows. */
  private static String causes(Throwable e) {
    StringBuilder messages = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      messages.append(t.getMessage()).append(" / ");
    }
    return messages.toString();
  }
}
