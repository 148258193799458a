package io.ferry.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.common.security.ClusterTls;
import io.ferry.common.security.ClusterTrustManager;
import io.ferry.common.security.RevocationList;
import io.ferry.common.security.Role;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.FileChunk;
import io.ferry.proto.v1.GetHostInfoRequest;
import io.ferry.proto.v1.MigrationMode;
import io.ferry.proto.v1.MigrationRef;
import io.ferry.proto.v1.MigrationServiceGrpc;
import io.ferry.proto.v1.NetworkInfo;
import io.ferry.proto.v1.PrepareIncomingRequest;
import io.ferry.proto.v1.ReceiveFilesResponse;
import io.ferry.proto.v1.RestoreIncomingRequest;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real agent over real mutual TLS: who may call it, and that a migration's data plane accepts
 * only the source host named at PrepareIncoming, whatever else the caller knows (the token, a
 * valid host certificate of the cluster, a loopback address).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentSecurityIT {

  private static final String TOKEN = "0123456789abcdef-token";

  @TempDir static Path state;
  private AgentHarness agent;
  private final List<ManagedChannel> opened = new ArrayList<>();

  @BeforeAll
  void startAgent() throws Exception {
    agent = new AgentHarness(state).start();
  }

  @AfterAll
  void stopAgent() throws Exception {
    agent.close();
  }

  @AfterEach
  void closeChannels() {
    opened.forEach(ManagedChannel::shutdownNow);
    opened.clear();
  }

  @Test
  void onlyHostsAndAdminsGetIn() {
    ChannelCredentials noCertificate = TlsChannelCredentials.newBuilder()
        .trustManager(new ClusterTrustManager(AgentCerts.pki().authority().certificate(), RevocationList::empty, Clock.systemUTC()))
        .build();
    assertCode(() -> hostInfo(dial(noCertificate)), Status.Code.UNAVAILABLE);
    ManagedChannel plaintext = NettyChannelBuilder.forAddress("127.0.0.1", agent.server().port()).usePlaintext().build();
    opened.add(plaintext);
    assertCode(() -> hostInfo(plaintext), Status.Code.UNAVAILABLE);

    assertCode(() -> hostInfo(dial(AgentCerts.pki().clientTls("ops", Role.OPERATOR).channelCredentials())), Status.Code.PERMISSION_DENIED);
    assertCode(() -> hostInfo(dial(AgentCerts.pki().clientTls("look", Role.VIEWER).channelCredentials())), Status.Code.PERMISSION_DENIED);
    assertThat(hostInfo(dial(AgentCerts.admin().channelCredentials()))).isTrue();
    assertThat(hostInfo(dial(AgentCerts.coordinator().channelCredentials()))).isTrue();
  }

  @Test
  void aPeerWhoseCertificateNamesAnotherHostCannotSendForAMigration() throws Exception {
    MigrationServiceGrpc.MigrationServiceBlockingStub coordinator = migration(dial(AgentCerts.coordinator().channelCredentials()));
    coordinator.prepareIncoming(PrepareIncomingRequest.newBuilder()
        .setMigrationId("sec-1")
        .setSpec(ContainerSpec.newBuilder().setName("moving").setImage("busybox"))
        .setImageDigest("0".repeat(64))
        .setNetwork(NetworkInfo.newBuilder().setAddress(agent.subnet.replace(".0/24", ".77")).setMac("02:00:00:00:00:77"))
        .setMode(MigrationMode.MIGRATION_MODE_COLD)
        .setSourceAddress("127.0.0.1:7701")
        .setSourceHost("mig-src")
        .setToken(TOKEN)
        .build());
    try {
      ClusterTls impostor = AgentCerts.pki().hostTls("mig-evil", List.of("127.0.0.1"));
      ManagedChannel evil = dial(impostor.channelCredentials());

      StatusRuntimeException restore = assertCode(() -> migration(evil).restoreIncoming(
          RestoreIncomingRequest.newBuilder().setMigrationId("sec-1").setToken(TOKEN).build()), Status.Code.PERMISSION_DENIED);
      assertThat(restore.getStatus().getDescription()).contains("host mig-src only", "mig-evil");

      CompletableFuture<ReceiveFilesResponse> received = new CompletableFuture<>();
      StreamObserver<FileChunk> upload = MigrationServiceGrpc.newStub(evil).withDeadlineAfter(20, TimeUnit.SECONDS)
          .receiveFiles(observer(received));
      upload.onNext(FileChunk.newBuilder().setHeader(FileChunk.Header.newBuilder()
          .setMigrationId("sec-1").setToken(TOKEN).setKind(FileChunk.Header.Kind.KIND_ROOTFS)).build());
      upload.onCompleted();
      assertThatThrownBy(() -> received.get(20, TimeUnit.SECONDS))
          .hasCauseInstanceOf(StatusRuntimeException.class)
          .satisfies(e -> assertThat(((StatusRuntimeException) e.getCause()).getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));

      // The named source passes the identity check (and fails later: it sent nothing to restore).
      ManagedChannel source = dial(AgentCerts.pki().hostTls("mig-src", List.of("127.0.0.1")).channelCredentials());
      assertThatThrownBy(() -> migration(source).restoreIncoming(
          RestoreIncomingRequest.newBuilder().setMigrationId("sec-1").setToken(TOKEN).build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isNotEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(String.valueOf(e.getStatus().getDescription())).doesNotContain("takes data from");
          });
    } finally {
      coordinator.abortMigration(MigrationRef.newBuilder().setMigrationId("sec-1").build());
    }
  }

  private static <T> StreamObserver<T> observer(CompletableFuture<T> result) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        result.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        result.complete(null);
      }
    };
  }

  private ManagedChannel dial(ChannelCredentials credentials) {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", agent.server().port(), credentials).build();
    opened.add(channel);
    return channel;
  }

  private static boolean hostInfo(ManagedChannel channel) {
    return AgentServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
        .getHostInfo(GetHostInfoRequest.getDefaultInstance()).hasHost();
  }

  private static MigrationServiceGrpc.MigrationServiceBlockingStub migration(ManagedChannel channel) {
    return MigrationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static StatusRuntimeException assertCode(Runnable call, Status.Code code) {
    StatusRuntimeException[] caught = new StatusRuntimeException[1];
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
      caught[0] = e;
    });
    return caught[0];
  }
}
