package io.ferry.agent.api;

import static io.ferry.agent.api.GrpcErrors.unary;

import com.google.protobuf.Timestamp;
import io.ferry.agent.lifecycle.ContainerManager;
import io.ferry.agent.migration.AgentMigrations;
import io.ferry.agent.replica.AgentReplicas;
import io.ferry.common.security.AccessInterceptor;
import io.ferry.common.security.Identity;
import io.ferry.common.security.Role;
import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationException.Kind;
import io.ferry.migration.replica.PassResult;
import io.ferry.migration.replica.ReplicaPrepare;
import io.ferry.migration.replica.ReplicaRecord;
import io.ferry.migration.replica.ReplicationRequest;
import io.ferry.migration.transfer.FileReceiver;
import io.ferry.migration.transfer.ServerFileStreamer;
import io.ferry.migration.transfer.TarStreams;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.DropReplicaRequest;
import io.ferry.proto.v1.DropReplicaResponse;
import io.ferry.proto.v1.FetchReplicaImageRequest;
import io.ferry.proto.v1.FileChunk;
import io.ferry.proto.v1.ListReplicasRequest;
import io.ferry.proto.v1.ListReplicasResponse;
import io.ferry.proto.v1.PrepareReplicaRequest;
import io.ferry.proto.v1.PromoteReplicaRequest;
import io.ferry.proto.v1.ReceiveFilesResponse;
import io.ferry.proto.v1.ReplicaInfo;
import io.ferry.proto.v1.ReplicateOutRequest;
import io.ferry.proto.v1.ReplicationPass;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standby-replica calls of {@code ferry.v1.MigrationService}, translated to {@link
 * AgentReplicas} and back; {@link MigrationGrpcService} delegates them here. Data-plane calls
 * (ReceiveReplica, FetchReplicaImage) pass the caller's host identity (its certificate's name, or
 * none for an admin or a coordinator) to the replica layer, which checks it with the token.
 *
 * <p>ReplicateOut blocks its handler thread for the pass (one per container at a time); the image
 * stream of FetchReplicaImage runs on the migrations' stream executor, off the call's executor, for
 * flow control.
 */
final class ReplicaGrpcHandlers {

  private static final Logger log = LoggerFactory.getLogger(ReplicaGrpcHandlers.class);

  private final AgentReplicas replicas;
  private final AgentMigrations migrations;
  private final ContainerManager containers;

  ReplicaGrpcHandlers(AgentReplicas replicas, AgentMigrations migrations, ContainerManager containers) {
    this.replicas = replicas;
    this.migrations = migrations;
    this.containers = containers;
  }

  void prepareReplica(PrepareReplicaRequest request, StreamObserver<ReplicaInfo> response) {
    unary(response, () -> {
      if (!request.hasSpec()) {
        throw new MigrationException(Kind.INVALID_ARGUMENT, "PrepareReplica: the container's spec is required");
      }
      ProtoMapper.createSpec(request.getSpec());
      return info(replicas.standby().prepare(new ReplicaPrepare(request.getSpec().getName(), request.getSpec().toByteArray(),
          request.getImageDigest(), request.getSourceHost(), request.getSourceAddress(), request.getToken())));
    });
  }

  void replicateOut(ReplicateOutRequest request, StreamObserver<ReplicationPass> response) {
    unary(response, () -> pass(replicas.primary().replicate(
        new ReplicationRequest(request.getName(), request.getStandbyHost(), request.getStandbyAddress(), request.getToken()))));
  }

  void promoteReplica(PromoteReplicaRequest request, StreamObserver<Container> response) {
    unary(response, () -> {
      replicas.standby().promote(request.getName(), request.getNetwork().getAddress(), request.getNetwork().getMac());
      return ProtoMapper.container(containers.get(request.getName()));
    });
  }

  void dropReplica(DropReplicaRequest request, StreamObserver<DropReplicaResponse> response) {
    unary(response, () -> {
      boolean standby = replicas.standby().drop(request.getName());
      boolean primary = replicas.primary().drop(request.getName(), request.getStandbyHost());
      return DropReplicaResponse.newBuilder().setDropped(standby || primary).build();
    });
  }

  void listReplicas(ListReplicasRequest request, StreamObserver<ListReplicasResponse> response) {
    unary(response, () -> ListReplicasResponse.newBuilder()
        .addAllReplicas(replicas.standby().list().stream().map(ReplicaGrpcHandlers::info).toList()).build());
  }

  StreamObserver<FileChunk> receiveReplica(StreamObserver<ReceiveFilesResponse> response) {
    Optional<String> caller = callerHost();
    return new FileReceiver(response, header -> replicas.standby().receive(header, caller), replicas.standby().maxIncomingBytes(),
        GrpcErrors::toStatus);
  }

  void fetchReplicaImage(FetchReplicaImageRequest request, StreamObserver<FileChunk> response) {
    ServerCallStreamObserver<FileChunk> out = (ServerCallStreamObserver<FileChunk>) response;
    ServerFileStreamer streamer;
    Path rootfs;
    FileChunk.Header header;
    try {
      replicas.primary().authorizeImageFetch(request.getContainer(), request.getToken(), callerHost(), request.getDigest());
      rootfs = migrations.images().rootfs(request.getDigest());
      header = FileChunk.Header.newBuilder().setReplicaContainer(request.getContainer()).setKind(FileChunk.Header.Kind.KIND_IMAGE)
          .addAllAliases(migrations.images().find(request.getDigest()).aliases()).build();
      streamer = new ServerFileStreamer(out);
    } catch (RuntimeException e) {
      response.onError(GrpcErrors.toStatus(e));
      return;
    }
    try {
      migrations.streams().execute(() -> {
        try (TarStreams.Packing packing = migrations.tar().pack(rootfs, Optional.empty(), false, migrations.settings().timeout())) {
          long bytes = streamer.send(header, packing.output(), migrations.settings().timeout());
          packing.finish();
          log.info("container={} image {} sent to its standby: {} bytes", request.getContainer(), request.getDigest(), bytes);
        } catch (RuntimeException e) {
          log.warn("container={} image {} not sent to its standby: {}", request.getContainer(), request.getDigest(), e.getMessage());
        }
      });
    } catch (RejectedExecutionException e) {
      response.onError(Status.RESOURCE_EXHAUSTED.withDescription("too many image streams").asRuntimeException());
    }
  }

  /** The caller's host name when it presents a host certificate. */
  private static Optional<String> callerHost() {
    Identity caller = AccessInterceptor.IDENTITY.get();
    return caller != null && caller.role() == Role.HOST ? Optional.of(caller.name()) : Optional.empty();
  }

  static ReplicaInfo info(ReplicaRecord r) {
    return ReplicaInfo.newBuilder()
        .setContainer(r.container())
        .setSourceHost(r.sourceHost())
        .setImageDigest(r.imageDigest())
        .setLastPassAt(timestamp(r.lastPassAt()))
        .setGeneration(r.generation())
        .setBytes(r.bytes())
        .setPromotable(r.promotable())
        .build();
  }

  static ReplicationPass pass(PassResult p) {
    return ReplicationPass.newBuilder()
        .setReplicatedAt(timestamp(p.replicatedAt()))
        .setBytes(p.bytes())
        .setFiles(p.entries())
        .setDeleted(p.deleted())
        .setFull(p.full())
        .setGeneration(p.generation())
        .setDetail(p.detail())
        .build();
  }

  private static Timestamp timestamp(Instant at) {
    return at == null ? Timestamp.getDefaultInstance() : Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build();
  }
}
