package io.ferry.agent.it;

import static io.ferry.agent.it.MigrationDriver.awaitCountPast;
import static io.ferry.agent.it.MigrationDriver.startCounter;
import static io.ferry.agent.it.MigrationDriver.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.ferry.agent.it.MigrationCluster.Host;
import io.ferry.common.process.Command;
import io.ferry.common.security.ClusterTls;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.DeleteContainerRequest;
import io.ferry.proto.v1.DropReplicaRequest;
import io.ferry.proto.v1.FileChunk;
import io.ferry.proto.v1.ListImagesRequest;
import io.ferry.proto.v1.ListReplicasRequest;
import io.ferry.proto.v1.MigrationServiceGrpc;
import io.ferry.proto.v1.PrepareReplicaRequest;
import io.ferry.proto.v1.PromoteReplicaRequest;
import io.ferry.proto.v1.ReceiveFilesResponse;
import io.ferry.proto.v1.ReplicaInfo;
import io.ferry.proto.v1.ReplicateOutRequest;
import io.ferry.proto.v1.ReplicationPass;
import io.ferry.proto.v1.StartContainerRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Standby replicas between two agent processes on simulated hosts, driven the way the coordinator
 * will drive them: PrepareReplica on the standby (B, which starts without the container's image),
 * ReplicateOut on the primary (A) for a full pass then (across a restart of A's agent) a delta,
 * refusals of strangers, a pass whose
 * stream is cut after all its data, a standby agent restart, then the primary's host "dies" (its
 * container is deleted and its agent killed) and the standby promotes the replica and starts it:
 * the container boots there with the files of the last complete pass.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplicaIT {

  private static final Logger log = LoggerFactory.getLogger(ReplicaIT.class);

  private MigrationCluster cluster;

  @RegisterExtension
  final TestWatcher dumpOnFailure = new TestWatcher() {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      log.error("{} failed; cluster state:{}", context.getDisplayName(), cluster == null ? " none" : cluster.dump());
      if (cluster != null) {
        cluster.failed = true;
        log.error("state and logs kept in {}", cluster.root);
      }
    }
  };

  @BeforeAll
  void startCluster() throws Exception {
    cluster = new MigrationCluster(Files.createTempDirectory("ferry-replica-it")).start(Map.of(), Map.of());
    cluster.a.importImage("busybox.tar.zst", "busybox");
  }

  @AfterAll
  void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aStandbyKeepsTheLastCompletePassAndPromotesItWhenThePrimaryDies() throws Exception {
    Host a = cluster.a;
    Host b = cluster.b;
    String name = "box-ha";
    Container original = startCounter(a, name);
    a.exec(name, "sh", "-c", "dd if=/dev/urandom of=/data/big.bin bs=1M count=2 2>/dev/null && echo one > /data/changed.txt"
        + " && echo doomed > /data/deleted.txt");
    String bigSum = a.exec(name, "md5sum", "/data/big.bin").split(" ")[0];
    String replicaToken = token();
    assertThat(b.agent().listImages(ListImagesRequest.getDefaultInstance()).getImagesList()).as("B starts without busybox").isEmpty();

    b.migration().prepareReplica(PrepareReplicaRequest.newBuilder().setSpec(original.getSpec())
        .setImageDigest(original.getImageDigest()).setSourceHost(a.name).setSourceAddress(a.address()).setToken(replicaToken).build());
    assertThat(replicas(b)).singleElement().satisfies(r -> {
      assertThat(r.getGeneration()).isZero();
      assertThat(r.getPromotable()).isFalse();
    });

    // A full pass: everything, the image fetched from A on the way.
    ReplicationPass first = replicate(a, b, name, replicaToken);
    assertThat(first.getFull()).isTrue();
    assertThat(first.getGeneration()).isEqualTo(1);
    assertThat(first.getBytes()).as("the 2 MiB file went over").isGreaterThan(2L << 20);
    assertThat(first.getReplicatedAt().getSeconds()).isPositive();
    assertThat(replicas(b)).singleElement().satisfies(r -> {
      assertThat(r.getGeneration()).isEqualTo(1);
      assertThat(r.getPromotable()).isTrue();
      assertThat(r.getSourceHost()).isEqualTo(a.name);
      assertThat(r.getBytes()).isGreaterThan(2L << 20);
    });

    // A delta: only what changed since the first pass, and the deletion; the primary's agent
    // restarted in between (SIGKILL) and still knows what the standby confirmed.
    a.exec(name, "sh", "-c", "echo two > /data/changed.txt && rm /data/deleted.txt && echo new > /data/added.txt");
    a.restart(Map.of());
    ReplicationPass second = replicate(a, b, name, replicaToken);
    assertThat(second.getFull()).as(second.getDetail()).isFalse();
    assertThat(second.getGeneration()).isEqualTo(2);
    assertThat(second.getBytes()).as("the big file is not sent again").isLessThan(256 << 10);
    assertThat(second.getFiles()).isLessThan(first.getFiles());
    assertThat(second.getDeleted()).as("deleted.txt (and the counter's old tick files)").isPositive();

    // Strangers are refused and change nothing.
    StatusRuntimeException wrongToken = assertThrowsStatus(() -> replicate(a, b, name, token()), Status.Code.PERMISSION_DENIED);
    assertThat(wrongToken.getStatus().getDescription()).contains("wrong token");
    try (Sender impostor = new Sender(b, AgentCerts.pki().hostTls("mig-evil", List.of("127.0.0.1")))) {
      assertThat(impostor.sendComplete(name, replicaToken, poisonTar()).getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    }
    try (Sender coordinator = new Sender(b, AgentCerts.coordinator())) {
      assertThat(coordinator.sendComplete(name, replicaToken, poisonTar()).getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    }
    try (Sender sameHostWrongToken = new Sender(b, AgentCerts.pki().hostTls(a.name, List.of(a.ip)))) {
      assertThat(sameHostWrongToken.sendComplete(name, token(), poisonTar()).getStatus().getCode())
          .isEqualTo(Status.Code.PERMISSION_DENIED);
    }
    assertThat(replicas(b)).singleElement().extracting(ReplicaInfo::getGeneration).isEqualTo(2L);

    // A pass cut after all its data (as when the primary dies before the trailer) leaves generation 2.
    Path replicaDir = b.state.resolve("replicas").resolve(name);
    try (Sender primary = new Sender(b, AgentCerts.pki().hostTls(a.name, List.of(a.ip)))) {
      primary.sendAndCut(name, replicaToken, poisonTar(), replicaDir.resolve("incoming-3").resolve("poison.txt"));
    }
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
        .until(() -> listNames(replicaDir).stream().noneMatch(f -> f.startsWith("incoming-")));
    assertThat(listNames(replicaDir)).containsExactlyInAnyOrder("replica.json", "gen-2");
    assertThat(replicas(b)).singleElement().satisfies(r -> {
      assertThat(r.getGeneration()).isEqualTo(2);
      assertThat(r.getPromotable()).isTrue();
    });

    // Replicas survive a standby agent restart (SIGKILL).
    b.restart(Map.of());
    assertThat(replicas(b)).singleElement().extracting(ReplicaInfo::getGeneration).isEqualTo(2L);

    // A replica without a complete pass cannot be promoted; dropping it leaves nothing.
    b.migration().prepareReplica(PrepareReplicaRequest.newBuilder().setSpec(original.getSpec().toBuilder().setName("box-empty"))
        .setImageDigest(original.getImageDigest()).setSourceHost(a.name).setSourceAddress(a.address()).setToken(token()).build());
    assertThrowsStatus(() -> b.migration().promoteReplica(PromoteReplicaRequest.newBuilder().setName("box-empty")
        .setNetwork(original.getNetwork()).build()), Status.Code.FAILED_PRECONDITION);
    assertThat(b.migration().dropReplica(DropReplicaRequest.newBuilder().setName("box-empty").build()).getDropped()).isTrue();
    assertThat(replicas(b)).extracting(ReplicaInfo::getContainer).containsExactly(name);

    // The primary's host dies: its container is gone and its agent does not answer.
    a.agent().deleteContainer(DeleteContainerRequest.newBuilder().setName(name).setForce(true).build());
    a.kill();

    Container promoted = b.migration().promoteReplica(PromoteReplicaRequest.newBuilder().setName(name)
        .setNetwork(original.getNetwork()).build());
    assertThat(promoted.getState()).isEqualTo(ContainerState.CONTAINER_STATE_STOPPED);
    assertThat(promoted.getNetwork()).isEqualTo(original.getNetwork());
    assertThat(promoted.getImageDigest()).isEqualTo(original.getImageDigest());
    assertThat(replicas(b)).as("the replica was consumed").isEmpty();
    assertThat(replicaDir).doesNotExist();

    b.agent().startContainer(StartContainerRequest.newBuilder().setName(name).build());
    awaitCountPast(b, name, 2);
    assertThat(b.exec(name, "cat", "/data/changed.txt")).isEqualTo("two\n");
    assertThat(b.exec(name, "cat", "/data/added.txt")).isEqualTo("new\n");
    assertThat(b.exec(name, "cat", "/data/kept.txt")).isEqualTo("written-before-the-move\n");
    assertThat(b.exec(name, "md5sum", "/data/big.bin").split(" ")[0]).isEqualTo(bigSum);
    String listing = b.exec(name, "ls", "-a", "/data", "/");
    assertThat(listing).doesNotContain("deleted.txt").doesNotContain("poison");
  }

  private static ReplicationPass replicate(Host from, Host to, String name, String replicaToken) {
    return from.migration().replicateOut(ReplicateOutRequest.newBuilder().setName(name).setStandbyHost(to.name)
        .setStandbyAddress(to.address()).setToken(replicaToken).build());
  }

  private static List<ReplicaInfo> replicas(Host host) {
    return host.migration().listReplicas(ListReplicasRequest.getDefaultInstance()).getReplicasList();
  }

  private static List<String> listNames(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).toList();
    }
  }

  private static StatusRuntimeException assertThrowsStatus(Runnable call, Status.Code code) {
    StatusRuntimeException[] thrown = new StatusRuntimeException[1];
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
      thrown[0] = e;
    });
    return thrown[0];
  }

  /** A tar of a tree with a file "poison.txt" at its top: what no replica may ever show. */
  private byte[] poisonTar() throws Exception {
    Path dir = Files.createTempDirectory(cluster.root, "poison");
    Files.writeString(dir.resolve("poison.txt"), "must never be promoted\n");
    Path tar = cluster.root.resolve("poison-" + System.nanoTime() + ".tar");
    Command.of("tar", "-C", dir.toString(), "-cf", tar.toString(), ".").timeout(Duration.ofSeconds(20)).check();
    return Files.readAllBytes(tar);
  }

  /** A ReceiveReplica client with the identity of its choice, posing as a primary. */
  private static final class Sender implements AutoCloseable {
    private final ManagedChannel channel;

    Sender(Host standby, ClusterTls identity) {
      channel = NettyChannelBuilder.forAddress(standby.ip, MigrationCluster.AGENT_PORT, identity.channelCredentials()).build();
    }

    /** Sends a whole full pass; returns the standby's refusal (or fails the test if it accepted). */
    StatusRuntimeException sendComplete(String container, String replicaToken, byte[] tar) throws Exception {
      CompletableFuture<ReceiveFilesResponse> answer = new CompletableFuture<>();
      StreamObserver<FileChunk> upload = open(answer);
      upload.onNext(header(container, replicaToken));
      upload.onNext(FileChunk.newBuilder().setData(ByteString.copyFrom(tar)).build());
      upload.onNext(FileChunk.newBuilder().setTrailer(FileChunk.Trailer.newBuilder().setSize(tar.length)
          .setSha256(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(tar)))).build());
      upload.onCompleted();
      try {
        ReceiveFilesResponse accepted = answer.get(20, TimeUnit.SECONDS);
        throw new AssertionError("the standby accepted a pass it must refuse: " + accepted);
      } catch (java.util.concurrent.ExecutionException e) {
        return (StatusRuntimeException) e.getCause();
      }
    }

    /**
     * Sends a full pass's header and all its data, waits until the standby unpacked {@code unpacked},
     * then cancels the call instead of sending the trailer.
     */
    void sendAndCut(String container, String replicaToken, byte[] tar, Path unpacked) throws Exception {
      CompletableFuture<ReceiveFilesResponse> answer = new CompletableFuture<>();
      ClientCallStreamObserver<FileChunk> upload = (ClientCallStreamObserver<FileChunk>) open(answer);
      upload.onNext(header(container, replicaToken));
      upload.onNext(FileChunk.newBuilder().setData(ByteString.copyFrom(tar)).build());
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> Files.exists(unpacked));
      upload.cancel("the primary died", null);
      assertThatThrownBy(() -> answer.get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(StatusRuntimeException.class);
    }

    private StreamObserver<FileChunk> open(CompletableFuture<ReceiveFilesResponse> answer) {
      return MigrationServiceGrpc.newStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).receiveReplica(new StreamObserver<>() {
        @Override
        public void onNext(ReceiveFilesResponse value) {
          answer.complete(value);
        }

        @Override
        public void onError(Throwable t) {
          answer.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {
          answer.completeExceptionally(new AssertionError("no answer"));
        }
      });
    }

    private static FileChunk header(String container, String replicaToken) {
      return FileChunk.newBuilder().setHeader(FileChunk.Header.newBuilder().setKind(FileChunk.Header.Kind.KIND_ROOTFS)
          .setReplicaContainer(container).setToken(replicaToken)).build();
    }

    @Override
    public void close() {
      channel.shutdownNow();
    }
  }
}
