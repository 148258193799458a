package io.ferry.coordinator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ferry.common.security.CertificateRequests;
import io.ferry.common.security.CertifiedKey;
import io.ferry.common.security.ClusterTls;
import io.ferry.common.security.ClusterTrustManager;
import io.ferry.common.security.Identity;
import io.ferry.common.security.JoinTls;
import io.ferry.common.security.JoinToken;
import io.ferry.common.security.Pem;
import io.ferry.common.security.RevocationList;
import io.ferry.common.security.RevocationReason;
import io.ferry.common.security.Role;
import io.ferry.common.security.StoredJoinToken;
import io.ferry.common.security.TestPki;
import io.ferry.coordinator.security.ZkJoinTokenStore;
import io.ferry.coordinator.store.ClusterPaths;
import io.ferry.proto.v1.AddHostRequest;
import io.ferry.proto.v1.AddHostResponse;
import io.ferry.proto.v1.CertificateServiceGrpc;
import io.ferry.proto.v1.ContainerServiceGrpc;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.GetOperationRequest;
import io.ferry.proto.v1.HostServiceGrpc;
import io.ferry.proto.v1.IssueClientCertificateRequest;
import io.ferry.proto.v1.IssueClientCertificateResponse;
import io.ferry.proto.v1.JoinRequest;
import io.ferry.proto.v1.JoinResponse;
import io.ferry.proto.v1.JoinServiceGrpc;
import io.ferry.proto.v1.LaunchRequest;
import io.ferry.proto.v1.ListCertificatesRequest;
import io.ferry.proto.v1.ListHostsRequest;
import io.ferry.proto.v1.OperationServiceGrpc;
import io.ferry.proto.v1.RemoveHostRequest;
import io.ferry.proto.v1.RemoveHostResponse;
import io.ferry.proto.v1.RevokeCertificateRequest;
import io.ferry.proto.v1.RevokeCertificateResponse;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The coordinators' security, through the real servers over real TLS (two coordinators, real
 * ZooKeeper and Helix, fake agents with host certificates): who is refused, with which status.
 * A refusal at the TLS handshake reaches a gRPC client as UNAVAILABLE (the server never sees a
 * call); a refusal by the access check is UNAUTHENTICATED (revoked on an open connection) or
 * PERMISSION_DENIED (role).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CoordinatorSecurityIT {

  private Path dir;
  private FakeCluster cluster;
  private final List<ManagedChannel> opened = new ArrayList<>();

  @BeforeAll
  void startCluster() throws Exception {
    dir = Files.createTempDirectory("ferry-security-it");
    cluster = FakeCluster.start(dir);
  }

  @AfterAll
  void stopCluster() throws Exception {
    cluster.close();
  }

  @AfterEach
  void closeChannels() {
    opened.forEach(ManagedChannel::shutdownNow);
    opened.clear();
  }

  @Test
  void aClientWithoutACertificateIsRefusedAtTheHandshake() {
    ChannelCredentials noCertificate =
        TlsChannelCredentials.newBuilder().trustManager(new ClusterTrustManager(TestCerts.pki().authority().certificate(), RevocationList::empty, Clock.systemUTC())).build();
    assertRefused(hosts(dial(0, noCertificate)), Status.Code.UNAVAILABLE);

    ManagedChannel plaintext = NettyChannelBuilder.forAddress("127.0.0.1", cluster.coordinators.get(0).port()).usePlaintext().build();
    opened.add(plaintext);
    assertRefused(hosts(plaintext), Status.Code.UNAVAILABLE);
  }

  @Test
  void aCertificateFromAnotherCaIsRefused() throws Exception {
    TestPki other = TestPki.in(dir.resolve("other-ca"));
    CertifiedKey foreignAdmin = other.clientTls("admin", Role.ADMIN).key();
    ChannelCredentials foreign =
        TlsChannelCredentials.newBuilder()
            .keyManager(foreignAdmin.keyManagers())
            .trustManager(new ClusterTrustManager(TestCerts.pki().authority().certificate(), RevocationList::empty, Clock.systemUTC()))
            .build();
    assertRefused(hosts(dial(0, foreign)), Status.Code.UNAVAILABLE);
  }

  @Test
  void aRevokedCertificateIsRefusedOnEveryCoordinator() throws Exception {
    ClusterTls viewer = TestCerts.pki().clientTls("soon-revoked", Role.VIEWER);
    HostServiceGrpc.HostServiceBlockingStub onFirst = hosts(dial(0, viewer.channelCredentials()));
    HostServiceGrpc.HostServiceBlockingStub onSecond = hosts(dial(1, viewer.channelCredentials()));
    assertThat(onFirst.listHosts(ListHostsRequest.getDefaultInstance()).getHostsList()).hasSize(3);
    assertThat(onSecond.listHosts(ListHostsRequest.getDefaultInstance()).getHostsList()).hasSize(3);

    cluster.coordinators.get(0).revocations().revoke(viewer.key().certificate().getSerialNumber(), RevocationReason.ACCESS_WITHDRAWN);

    // Open connections lose access at their next call; the other coordinator learns of it through ZooKeeper.
    assertThatThrownBy(() -> onFirst.listHosts(ListHostsRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
          assertThat(e.getStatus().getDescription()).contains("revoked");
        });
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertRefused(onSecond, Status.Code.UNAUTHENTICATED));
    // New connections fail the handshake.
    assertRefused(hosts(dial(1, viewer.channelCredentials())), Status.Code.UNAVAILABLE);
  }

  @Test
  void aViewerReadsButCannotWrite() {
    ManagedChannel channel = dial(0, TestCerts.pki().clientTls("watcher", Role.VIEWER).channelCredentials());
    assertThat(hosts(channel).listHosts(ListHostsRequest.getDefaultInstance()).getHostsList()).hasSize(3);

    StatusRuntimeException refused = assertRefused(
        () -> ContainerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).launch(launch("viewer-made")),
        Status.Code.PERMISSION_DENIED);
    assertThat(refused.getStatus().getDescription()).contains("viewer", "watcher", "ferry.v1.ContainerService/Launch");
    assertRefused(
        () -> OperationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
            .cancelOperation(GetOperationRequest.newBuilder().setId("op-1").build()),
        Status.Code.PERMISSION_DENIED);
    assertThat(cluster.hosts).as("no container was created").allSatisfy(h -> assertThat(h.agent.containers).doesNotContainKey("viewer-made"));
  }

  @Test
  void aFollowerForwardsAnOperatorsWriteToTheLeaderWithItsHostCertificate() {
    await().atMost(Duration.ofSeconds(30)).until(() -> cluster.coordinators.stream().anyMatch(c -> c.isLeader()));
    int follower = 1 - cluster.leaderIndex();
    ManagedChannel operator = dial(follower, TestCerts.pki().clientTls("ops", Role.OPERATOR).channelCredentials());
    io.ferry.proto.v1.Operation launched =
        ContainerServiceGrpc.newBlockingStub(operator).withDeadlineAfter(30, TimeUnit.SECONDS).launch(launch("forwarded")).getOperation();
    assertThat(cluster.follow(follower, launched).getState()).isEqualTo(io.ferry.proto.v1.OperationState.OPERATION_STATE_SUCCEEDED);
  }

  @Test
  void onlyAnAdminAddsHostsAndAHostCertificateCannotDriveThePublicApi() {
    ManagedChannel operator = dial(0, TestCerts.pki().clientTls("ops", Role.OPERATOR).channelCredentials());
    assertRefused(() -> hosts(operator).addHost(AddHostRequest.newBuilder().setName("sneaky").build()), Status.Code.PERMISSION_DENIED);

    // An agent's certificate: the leader gate refuses a host that is not a live coordinator forwarding.
    ManagedChannel agent = dial(0, TestCerts.host("host-1").channelCredentials());
    assertRefused(
        () -> ContainerServiceGrpc.newBlockingStub(agent).withDeadlineAfter(10, TimeUnit.SECONDS).launch(launch("agent-made")),
        Status.Code.PERMISSION_DENIED);
    assertRefused(hosts(agent), Status.Code.PERMISSION_DENIED);
  }

  @Test
  void aJoinTokenWorksOnceForItsHostOnlyAndNotAfterItExpires() throws Exception {
    HostServiceGrpc.HostServiceBlockingStub admin = hosts(cluster.channel(0));
    AddHostResponse added = admin.addHost(AddHostRequest.newBuilder().setName("new-host").build());
    JoinToken token = JoinToken.parse(added.getJoinToken());
    assertThat(token.caFingerprint()).isEqualTo(TestCerts.pki().authority().fingerprint());

    // The join endpoint serves the Join RPC only.
    ManagedChannel joinFirst = joinChannel(0, token.caFingerprint());
    assertRefused(hosts(joinFirst), Status.Code.UNIMPLEMENTED);

    // Another host cannot use it, and that does not use it up.
    assertJoinRefused(joinFirst, added.getJoinToken(), "impostor", Status.Code.PERMISSION_DENIED, "OTHER_HOST");

    KeyPair keys = CertificateRequests.newKeyPair();
    JoinResponse joined = JoinServiceGrpc.newBlockingStub(joinFirst).withDeadlineAfter(10, TimeUnit.SECONDS)
        .join(joinRequest(added.getJoinToken(), "new-host", keys));
    CertifiedKey certificate = CertifiedKey.fromPem(joined.getCertificateChainPem(), io.ferry.common.security.Pem.privateKey(keys.getPrivate()));
    assertThat(certificate.identity()).isEqualTo(io.ferry.common.security.Identity.host("new-host"));

    // Used: refused on every coordinator.
    assertJoinRefused(joinChannel(1, token.caFingerprint()), added.getJoinToken(), "new-host", Status.Code.PERMISSION_DENIED, "ALREADY_USED");

    // Expired: a token stored with its time over.
    String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[32]);
    JoinToken expired = new JoinToken("late-host", Instant.now().minusSeconds(60), token.caFingerprint(), secret);
    new ZkJoinTokenStore(cluster.coordinators.get(0).session().client(), new ClusterPaths("api"))
        .add(new StoredJoinToken(expired.secretHash(), "late-host", Instant.now().minusSeconds(3600), expired.expiresAt(), Optional.empty()));
    assertJoinRefused(joinFirst, expired.encode(), "late-host", Status.Code.PERMISSION_DENIED, "EXPIRED");

    // Never issued here.
    String unknown = new JoinToken("new-host", Instant.now().plusSeconds(600), token.caFingerprint(),
        Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
            17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32})).encode();
    assertJoinRefused(joinFirst, unknown, "new-host", Status.Code.UNAUTHENTICATED, "UNKNOWN");

    // A token pinning another CA does not trust this coordinator at all.
    String otherFingerprint = TestPki.in(dir.resolve("pin-other")).authority().fingerprint();
    assertJoinRefused(joinChannel(0, otherFingerprint), added.getJoinToken(), "new-host", Status.Code.UNAVAILABLE, "");

    // Removing the host revokes the certificate it joined with, on every coordinator.
    RemoveHostResponse removed = admin.removeHost(RemoveHostRequest.newBuilder().setName("new-host").build());
    assertThat(removed.getRevokedSerialsList()).containsExactly(certificate.certificate().getSerialNumber().toString(16));
    await().atMost(Duration.ofSeconds(10)).until(() ->
        cluster.coordinators.get(1).revocations().get().isRevoked(certificate.certificate().getSerialNumber()));
  }

  private static JoinRequest joinRequest(String token, String host, KeyPair keys) {
    return JoinRequest.newBuilder().setToken(token).setHostName(host)
        .setCertificateRequestPem(CertificateRequests.create(keys, host)).addAddresses("127.0.0.1").build();
  }

  private void assertJoinRefused(ManagedChannel channel, String token, String host, Status.Code code, String reason) {
    StatusRuntimeException e = assertRefused(
        () -> JoinServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
            .join(joinRequest(token, host, CertificateRequests.newKeyPair())),
        code);
    if (!reason.isEmpty()) {
      assertThat(e.getStatus().getDescription()).startsWith(reason);
    }
  }

  private ManagedChannel joinChannel(int coordinator, String fingerprint) {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", cluster.coordinators.get(coordinator).joinPort(),
        JoinTls.channelCredentials(fingerprint, Clock.systemUTC())).build();
    opened.add(channel);
    return channel;
  }

  @Test
  void anAdminIssuesAClientCertificateThatWorksForItsRoleUntilRevoked() throws Exception {
    CertificateServiceGrpc.CertificateServiceBlockingStub admin = certificates(cluster.channel(0));
    KeyPair keys = CertificateRequests.newKeyPair();
    IssueClientCertificateResponse issued = admin.issueClientCertificate(IssueClientCertificateRequest.newBuilder()
        .setName("ci-bot").setRole("operator").setCertificateRequestPem(CertificateRequests.create(keys, "ci-bot")).build());
    ClusterTls bot = ClusterTls.of(CertifiedKey.fromPem(issued.getCertificateChainPem(), Pem.privateKey(keys.getPrivate())),
        TestCerts.pki().authority().certificate(), RevocationList::empty, Clock.systemUTC());
    assertThat(bot.identity()).isEqualTo(new Identity("ci-bot", Role.OPERATOR));
    assertThat(issued.getCaCertificatePem()).isEqualTo(TestCerts.pki().authority().certificatePem());

    // It works, on either coordinator, for what an operator may do and nothing more.
    ManagedChannel asBot = dial(1, bot.channelCredentials());
    assertThat(hosts(asBot).listHosts(ListHostsRequest.getDefaultInstance()).getHostsList()).hasSize(3);
    assertRefused(() -> hosts(asBot).addHost(AddHostRequest.newBuilder().setName("host-9").build()), Status.Code.PERMISSION_DENIED);
    assertRefused(() -> certificates(asBot).listCertificates(ListCertificatesRequest.getDefaultInstance()), Status.Code.PERMISSION_DENIED);
    assertThat(admin.listCertificates(ListCertificatesRequest.getDefaultInstance()).getCertificatesList())
        .anySatisfy(c -> {
          assertThat(c.getSerial()).isEqualTo(issued.getSerial());
          assertThat(c.getName()).isEqualTo("ci-bot");
          assertThat(c.getRole()).isEqualTo("operator");
          assertThat(c.getRevoked()).isFalse();
        });

    RevokeCertificateResponse revoked = admin.revokeCertificate(RevokeCertificateRequest.newBuilder().setSerial(issued.getSerial()).build());

    assertThat(revoked.getNewlyRevoked()).isTrue();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertRefused(() -> hosts(asBot).listHosts(ListHostsRequest.getDefaultInstance()), Status.Code.UNAUTHENTICATED));
    assertThat(admin.revokeCertificate(RevokeCertificateRequest.newBuilder().setSerial(issued.getSerial()).build()).getNewlyRevoked())
        .as("revoking twice changes nothing").isFalse();
    assertThat(admin.listCertificates(ListCertificatesRequest.getDefaultInstance()).getCertificatesList())
        .filteredOn(c -> c.getSerial().equals(issued.getSerial())).singleElement().satisfies(c -> assertThat(c.getRevoked()).isTrue());
  }

  @Test
  void badCertificateRequestsAreRefusedAndAnAdminCannotRevokeTheirOwn() throws Exception {
    CertificateServiceGrpc.CertificateServiceBlockingStub admin = certificates(cluster.channel(0));
    String request = CertificateRequests.create(CertificateRequests.newKeyPair(), "someone");
    int before = admin.listCertificates(ListCertificatesRequest.getDefaultInstance()).getCertificatesCount();

    for (IssueClientCertificateRequest bad : List.of(
        IssueClientCertificateRequest.newBuilder().setName("agent-x").setRole("host").setCertificateRequestPem(request).build(),
        IssueClientCertificateRequest.newBuilder().setName("Bad_Name").setRole("viewer").setCertificateRequestPem(request).build(),
        IssueClientCertificateRequest.newBuilder().setName("someone").setRole("root").setCertificateRequestPem(request).build(),
        IssueClientCertificateRequest.newBuilder().setName("someone").setRole("viewer").setCertificateRequestPem("not a request").build())) {
      assertRefused(() -> admin.issueClientCertificate(bad), Status.Code.INVALID_ARGUMENT);
    }
    assertThat(admin.listCertificates(ListCertificatesRequest.getDefaultInstance()).getCertificatesCount()).as("nothing issued").isEqualTo(before);
    assertRefused(() -> admin.revokeCertificate(RevokeCertificateRequest.newBuilder().setSerial("not-hex").build()), Status.Code.INVALID_ARGUMENT);
    assertRefused(() -> admin.revokeCertificate(RevokeCertificateRequest.newBuilder().setSerial("abc123").build()), Status.Code.NOT_FOUND);

    KeyPair keys = CertificateRequests.newKeyPair();
    IssueClientCertificateResponse second = admin.issueClientCertificate(IssueClientCertificateRequest.newBuilder()
        .setName("second-admin").setRole("admin").setCertificateRequestPem(CertificateRequests.create(keys, "second-admin")).build());
    ClusterTls secondAdmin = ClusterTls.of(CertifiedKey.fromPem(second.getCertificateChainPem(), Pem.privateKey(keys.getPrivate())),
        TestCerts.pki().authority().certificate(), RevocationList::empty, Clock.systemUTC());
    CertificateServiceGrpc.CertificateServiceBlockingStub asSecond = certificates(dial(0, secondAdmin.channelCredentials()));
    assertRefused(() -> asSecond.revokeCertificate(RevokeCertificateRequest.newBuilder().setSerial(second.getSerial()).build()),
        Status.Code.FAILED_PRECONDITION);
    assertThat(asSecond.listCertificates(ListCertificatesRequest.getDefaultInstance()).getCertificatesList())
        .filteredOn(c -> c.getSerial().equals(second.getSerial())).singleElement().satisfies(c -> assertThat(c.getRevoked()).isFalse());
  }

  private static CertificateServiceGrpc.CertificateServiceBlockingStub certificates(ManagedChannel channel) {
    return CertificateServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private ManagedChannel dial(int coordinator, ChannelCredentials credentials) {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", cluster.coordinators.get(coordinator).port(), credentials).build();
    opened.add(channel);
    return channel;
  }

  private static HostServiceGrpc.HostServiceBlockingStub hosts(ManagedChannel channel) {
    return HostServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static LaunchRequest launch(String name) {
    return LaunchRequest.newBuilder().setSpec(ContainerSpec.newBuilder().setName(name).setImage("busybox")).setCpuMillis(100).build();
  }

  private static void assertRefused(HostServiceGrpc.HostServiceBlockingStub stub, Status.Code code) {
    assertRefused(() -> stub.listHosts(ListHostsRequest.getDefaultInstance()), code);
  }

  private static StatusRuntimeException assertRefused(Runnable call, Status.Code code) {
    StatusRuntimeException[] caught = new StatusRuntimeException[1];
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
      caught[0] = e;
    });
    return caught[0];
  }
}
