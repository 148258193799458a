package io.ferry.agent.api;

import static io.ferry.agent.api.GrpcErrors.unary;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.agent.AgentException;
import io.ferry.agent.lifecycle.ContainerManager;
import io.ferry.agent.lifecycle.CreateSpec;
import io.ferry.agent.migration.AgentMigrations;
import io.ferry.migration.protocol.Journal;
import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationException.Kind;
import io.ferry.migration.protocol.Mode;
import io.ferry.migration.protocol.Outcome;
import io.ferry.migration.protocol.Phase;
import io.ferry.migration.protocol.Result;
import io.ferry.migration.protocol.Role;
import io.ferry.migration.source.OutgoingRequest;
import io.ferry.migration.source.Progress;
import io.ferry.migration.target.PrepareRequest;
import io.ferry.migration.transfer.FileReceiver;
import io.ferry.migration.transfer.ServerFileStreamer;
import io.ferry.migration.transfer.TarStreams;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.FetchImageRequest;
import io.ferry.proto.v1.FileChunk;
import io.ferry.proto.v1.MigrateOutRequest;
import io.ferry.proto.v1.MigrationMode;
import io.ferry.proto.v1.MigrationPhase;
import io.ferry.proto.v1.MigrationProgress;
import io.ferry.proto.v1.MigrationRef;
import io.ferry.proto.v1.MigrationResult;
import io.ferry.proto.v1.MigrationRole;
import io.ferry.proto.v1.MigrationServiceGrpc;
import io.ferry.proto.v1.MigrationStatus;
import io.ferry.proto.v1.PrepareIncomingRequest;
import io.ferry.proto.v1.ReceiveFilesResponse;
import io.ferry.proto.v1.RestoreIncomingRequest;
import io.ferry.proto.v1.TunnelFrame;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import io.ferry.common.Names;
import io.ferry.common.security.AccessInterceptor;
import io.ferry.common.security.Identity;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's {@code ferry.v1.MigrationService}: the coordinator's control calls (PrepareIncoming,
 * MigrateOut, GetMigration, CommitMigration, AbortMigration) and the peer agent's data-plane calls
 * (ReceiveFiles, RestoreIncoming, Tunnel, FetchImage), translated to the migration layer ({@link
 * AgentMigrations}) and back. Data-plane calls must carry the migration's token; those into a
 * target must also come from the source address it was prepared with (when that is an IP address)
 * and, when PrepareIncoming named the source host, from a peer whose certificate carries that
 * host's identity: a peer that learnt a token cannot pose as the source agent.
 *
 * <p>Long work never runs on the handler: MigrateOut runs on the migration workers and streams its
 * progress from there; FetchImage streams from its own executor so that gRPC can deliver the
 * readiness callbacks its flow control needs.
 */
public final class MigrationGrpcService extends MigrationServiceGrpc.MigrationServiceImplBase {

  private static final Logger log = LoggerFactory.getLogger(MigrationGrpcService.class);

  private static final Context.Key<SocketAddress> REMOTE = Context.key("ferry-remote-address");

  private final AgentMigrations migrations;
  private final ContainerManager containers;
  /**
   * The source host named at PrepareIncoming, by migration id; kept in memory only (a target
   * restarted mid-migration falls back to the token and address checks). Bounded.
   */
  private final Map<String, String> sourceHosts =
      Collections.synchronizedMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
          return size() > 4096;
        }
      });

  private final ReplicaGrpcHandlers replicas;

  public MigrationGrpcService(AgentMigrations migrations, io.ferry.agent.replica.AgentReplicas replicas, ContainerManager containers) {
    this.migrations = migrations;
    this.containers = containers;
    this.replicas = new ReplicaGrpcHandlers(replicas, migrations, containers);
  }

  /** Records each call's remote address, for the data plane's peer check. Register with the service. */
  public static ServerInterceptor remoteAddressInterceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        Context ctx = Context.current().withValue(REMOTE, call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
        return Contexts.interceptCall(ctx, call, headers, next);
      }
    };
  }

  /** Decodes the spec bytes a target keeps in its journal. */
  public static CreateSpec decodeSpec(byte[] bytes) {
    try {
      return ProtoMapper.createSpec(ContainerSpec.parseFrom(bytes));
    } catch (InvalidProtocolBufferException e) {
      throw AgentException.invalid("unreadable container spec: " + e.getMessage());
    }
  }

  // ---- control plane ----

  @Override
  public void prepareIncoming(PrepareIncomingRequest request, StreamObserver<MigrationStatus> response) {
    unary(response, () -> {
      CreateSpec spec = ProtoMapper.createSpec(request.getSpec());
      if (request.getNetwork().getAddress().isEmpty() || request.getNetwork().getMac().isEmpty()) {
        throw AgentException.invalid("migration " + request.getMigrationId() + ": the network identity (address, MAC) is required");
      }
      if (!request.getSourceHost().isEmpty()) {
        Names.require("source host", request.getSourceHost());
        sourceHosts.put(request.getMigrationId(), request.getSourceHost());
      }
      Journal j = migrations.incoming().prepare(new PrepareRequest(
          request.getMigrationId(), spec.name(), request.getSpec().toByteArray(), request.getImageDigest(),
          request.getNetwork().getAddress(), request.getNetwork().getMac(), mode(request.getMode()),
          request.getSourceAddress(), request.getToken()));
      return status(j);
    });
  }

  @Override
  public void migrateOut(MigrateOutRequest request, StreamObserver<MigrationProgress> response) {
    ServerCallStreamObserver<MigrationProgress> out = (ServerCallStreamObserver<MigrationProgress>) response;
    Object lock = new Object();
    boolean[] ended = new boolean[1];
    out.setOnCancelHandler(() -> {
      synchronized (lock) {
        ended[0] = true;
      }
      migrations.source().callerGone(request.getMigrationId());
    });
    try {
      migrations.source().migrateOut(
          new OutgoingRequest(request.getMigrationId(), request.getName(), request.getTargetAddress(), mode(request.getMode()),
              request.getTcpEstablished(), request.getToken()),
          p -> {
            synchronized (lock) {
              if (!ended[0]) {
                out.onNext(progress(p));
              }
            }
          })
          .whenComplete((result, error) -> {
            synchronized (lock) {
              if (ended[0]) {
                return;
              }
              ended[0] = true;
              if (error == null) {
                out.onCompleted();
              } else {
                out.onError(GrpcErrors.toStatus(unwrap(error)));
              }
            }
          });
    } catch (RuntimeException e) {
      synchronized (lock) {
        ended[0] = true;
        out.onError(GrpcErrors.toStatus(e));
      }
    }
  }

  @Override
  public void getMigration(MigrationRef request, StreamObserver<MigrationStatus> response) {
    unary(response, () -> {
      String id = request.getMigrationId();
      Optional<Journal> journal = migrations.source().journal(id).or(() -> migrations.incoming().journal(id));
      if (journal.isPresent()) {
        return status(journal.get());
      }
      return migrations.source().outcome(id).or(() -> migrations.incoming().outcome(id))
          .map(MigrationGrpcService::status)
          .orElseThrow(() -> new MigrationException(Kind.NOT_FOUND, "no migration " + id + " on this agent"));
    });
  }

  @Override
  public void commitMigration(MigrationRef request, StreamObserver<MigrationStatus> response) {
    unary(response, () -> {
      String id = request.getMigrationId();
      if (migrations.source().journal(id).isPresent() || migrations.source().outcome(id).isPresent()) {
        return ended(id, Role.SOURCE, migrations.source().commit(id), Phase.COMMITTED);
      }
      sourceHosts.remove(id);
      return ended(id, Role.TARGET, migrations.incoming().commit(id), Phase.COMMITTED);
    });
  }

  @Override
  public void abortMigration(MigrationRef request, StreamObserver<MigrationStatus> response) {
    unary(response, () -> {
      String id = request.getMigrationId();
      if (migrations.source().journal(id).isPresent() || migrations.source().outcome(id).isPresent()) {
        return ended(id, Role.SOURCE, migrations.source().abort(id), Phase.ABORTED);
      }
      sourceHosts.remove(id);
      return ended(id, Role.TARGET, migrations.incoming().abort(id, "aborted by request"), Phase.ABORTED);
    });
  }

  // ---- data plane ----

  @Override
  public StreamObserver<FileChunk> receiveFiles(StreamObserver<ReceiveFilesResponse> response) {
    InetAddress remote = remoteAddress();
    Identity caller = AccessInterceptor.IDENTITY.get();
    return new FileReceiver(response, header -> {
      checkPeer(header.getMigrationId(), remote, caller);
      return migrations.incoming().receive(header);
    }, migrations.incoming().maxIncomingBytes(), GrpcErrors::toStatus);
  }

  @Override
  public void restoreIncoming(RestoreIncomingRequest request, StreamObserver<Container> response) {
    unary(response, () -> {
      checkPeer(request.getMigrationId(), remoteAddress(), AccessInterceptor.IDENTITY.get());
      Optional<String> name = migrations.incoming().journal(request.getMigrationId()).map(Journal::container);
      migrations.incoming().restore(request);
      // From the records (no runc or cgroup reads): the source waits for this answer, frozen.
      return name.flatMap(n -> containers.list().stream().filter(v -> v.record().name().equals(n)).findFirst())
          .map(ProtoMapper::container).orElse(Container.getDefaultInstance());
    });
  }

  @Override
  public StreamObserver<TunnelFrame> tunnel(StreamObserver<TunnelFrame> response) {
    InetAddress remote = remoteAddress();
    Identity caller = AccessInterceptor.IDENTITY.get();
    ServerCallStreamObserver<TunnelFrame> out = (ServerCallStreamObserver<TunnelFrame>) response;
    StreamObserver<TunnelFrame> inner = migrations.incoming().tunnel(out, GrpcErrors::toStatus);
    return new StreamObserver<>() {
      boolean checked;

      @Override
      public void onNext(TunnelFrame frame) {
        if (!checked && frame.hasOpen()) {
          checked = true;
          try {
            checkPeer(frame.getOpen().getMigrationId(), remote, caller);
          } catch (RuntimeException e) {
            out.onError(GrpcErrors.toStatus(e));
            return;
          }
        }
        inner.onNext(frame);
      }

      @Override
      public void onError(Throwable t) {
        inner.onError(t);
      }

      @Override
      public void onCompleted() {
        inner.onCompleted();
      }
    };
  }

  @Override
  public void fetchImage(FetchImageRequest request, StreamObserver<FileChunk> response) {
    ServerCallStreamObserver<FileChunk> out = (ServerCallStreamObserver<FileChunk>) response;
    ServerFileStreamer streamer;
    java.nio.file.Path rootfs;
    FileChunk.Header header;
    try {
      Journal j = migrations.source().journal(request.getMigrationId())
          .orElseThrow(() -> new MigrationException(Kind.PERMISSION_DENIED, "no outgoing migration " + request.getMigrationId()));
      if (!java.security.MessageDigest.isEqual(j.token().getBytes(), request.getToken().getBytes())) {
        throw new MigrationException(Kind.PERMISSION_DENIED, "wrong token for migration " + request.getMigrationId());
      }
      if (!j.imageDigest().equals(request.getDigest())) {
        throw new MigrationException(Kind.PERMISSION_DENIED, "migration " + j.id() + " does not use image " + request.getDigest());
      }
      rootfs = migrations.images().rootfs(request.getDigest());
      header = FileChunk.Header.newBuilder().setMigrationId(j.id()).setKind(FileChunk.Header.Kind.KIND_IMAGE)
          .addAllAliases(migrations.images().find(request.getDigest()).aliases()).build();
      streamer = new ServerFileStreamer(out);
    } catch (RuntimeException e) {
      response.onError(GrpcErrors.toStatus(e));
      return;
    }
    try {
      migrations.streams().execute(() -> {
        TarStreams tar = migrations.tar();
        try (TarStreams.Packing packing = tar.pack(rootfs, Optional.empty(), false, migrations.settings().timeout())) {
          long bytes = streamer.send(header, packing.output(), migrations.settings().timeout());
          packing.finish();
          log.info("migration={} image {} sent: {} bytes", request.getMigrationId(), request.getDigest(), bytes);
        } catch (RuntimeException e) {
          log.warn("migration={} image {} not sent: {}", request.getMigrationId(), request.getDigest(), e.getMessage());
        }
      });
    } catch (RejectedExecutionException e) {
      response.onError(io.grpc.Status.RESOURCE_EXHAUSTED.withDescription("too many image streams").asRuntimeException());
    }
  }

  // ---- standby replicas (see ReplicaGrpcHandlers) ----

  @Override
  public void prepareReplica(io.ferry.proto.v1.PrepareReplicaRequest request, StreamObserver<io.ferry.proto.v1.ReplicaInfo> response) {
    replicas.prepareReplica(request, response);
  }

  @Override
  public void replicateOut(io.ferry.proto.v1.ReplicateOutRequest request, StreamObserver<io.ferry.proto.v1.ReplicationPass> response) {
    replicas.replicateOut(request, response);
  }

  @Override
  public void promoteReplica(io.ferry.proto.v1.PromoteReplicaRequest request, StreamObserver<Container> response) {
    replicas.promoteReplica(request, response);
  }

  @Override
  public void dropReplica(io.ferry.proto.v1.DropReplicaRequest request, StreamObserver<io.ferry.proto.v1.DropReplicaResponse> response) {
    replicas.dropReplica(request, response);
  }

  @Override
  public void listReplicas(io.ferry.proto.v1.ListReplicasRequest request, StreamObserver<io.ferry.proto.v1.ListReplicasResponse> response) {
    replicas.listReplicas(request, response);
  }

  @Override
  public StreamObserver<FileChunk> receiveReplica(StreamObserver<ReceiveFilesResponse> response) {
    return replicas.receiveReplica(response);
  }

  @Override
  public void fetchReplicaImage(io.ferry.proto.v1.FetchReplicaImageRequest request, StreamObserver<FileChunk> response) {
    replicas.fetchReplicaImage(request, response);
  }

  // ---- checks and mapping ----

  private static InetAddress remoteAddress() {
    SocketAddress a = REMOTE.get();
    return a instanceof InetSocketAddress inet ? inet.getAddress() : null;
  }

  /**
   * Data into a target must come from the source it was prepared with: the caller's certificate
   * must name the source host when PrepareIncoming named it, and the connection must come from the
   * source address when that is an IP address (a name or a wildcard cannot be compared with the
   * connection's address).
   */
  private void checkPeer(String id, InetAddress remote, Identity caller) {
    String sourceHost = sourceHosts.get(id);
    if (sourceHost != null && (caller == null || caller.role() != io.ferry.common.security.Role.HOST || !caller.name().equals(sourceHost))) {
      log.atWarn().addKeyValue("migration", id).addKeyValue("identity", caller)
          .log("refused migration data for {} from {}: the source is host {}", id, caller, sourceHost);
      throw new MigrationException(Kind.PERMISSION_DENIED,
          "migration " + id + " takes data from host " + sourceHost + " only, not from " + caller);
    }
    Optional<String> source = migrations.incoming().sourceOf(id);
    if (source.isEmpty() || remote == null) {
      return;
    }
    String host = source.get();
    int colon = host.lastIndexOf(':');
    if (colon > 0) {
      host = host.substring(0, colon);
    }
    host = host.replace("[", "").replace("]", "");
    if (!host.matches("[0-9.]+") || host.equals("0.0.0.0")) {
      return;
    }
    if (!remote.getHostAddress().equals(host) && !(remote.isLoopbackAddress() && host.startsWith("127."))) {
      throw new MigrationException(Kind.PERMISSION_DENIED,
          "migration " + id + " takes data from " + source.get() + " only, not from " + remote.getHostAddress());
    }
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  static Mode mode(MigrationMode mode) {
    return switch (mode) {
      case MIGRATION_MODE_AUTO, MIGRATION_MODE_UNSPECIFIED -> Mode.AUTO;
      case MIGRATION_MODE_COLD -> Mode.COLD;
      case MIGRATION_MODE_NEAR_LIVE -> Mode.NEAR_LIVE;
      case MIGRATION_MODE_LIVE -> Mode.LIVE;
      case MIGRATION_MODE_POST_COPY -> Mode.POST_COPY;
      case MIGRATION_MODE_PRE_COPY -> Mode.PRE_COPY;
      default -> throw new MigrationException(Kind.INVALID_ARGUMENT, "unknown migration mode " + mode);
    };
  }

  static MigrationMode mode(Mode mode) {
    return MigrationMode.valueOf("MIGRATION_MODE_" + mode.name());
  }

  static MigrationPhase phase(Phase phase) {
    return MigrationPhase.valueOf("MIGRATION_PHASE_" + phase.name());
  }

  static MigrationResult result(Result r) {
    return MigrationResult.newBuilder()
        .setModeUsed(mode(r.modeUsed()))
        .setFallbackReason(r.fallbackReason())
        .setTotalMillis(r.totalMillis())
        .setFrozenMillis(r.frozenMillis())
        .setRootfsBytes(r.rootfsBytes())
        .setMemoryBytes(r.memoryBytes())
        .build();
  }

  static MigrationProgress progress(Progress p) {
    MigrationProgress.Builder b = MigrationProgress.newBuilder()
        .setMigrationId(p.id())
        .setPhase(phase(p.phase()))
        .setBytesSent(p.sent())
        .setBytesTotal(p.total())
        .setBytesPerSecond(p.bytesPerSecond())
        .setEtaSeconds((int) Math.min(Integer.MAX_VALUE, p.etaSeconds()))
        .setDetail(p.detail());
    p.result().ifPresent(r -> b.setResult(result(r)));
    return b.build();
  }

  static MigrationStatus status(Journal j) {
    MigrationStatus.Builder b = MigrationStatus.newBuilder()
        .setMigrationId(j.id())
        .setRole(j.role() == Role.SOURCE ? MigrationRole.MIGRATION_ROLE_SOURCE : MigrationRole.MIGRATION_ROLE_TARGET)
        .setPhase(phase(j.phase()))
        .setContainer(j.container())
        .setDetail(j.detail());
    if (j.result() != null) {
      b.setResult(result(j.result()));
    }
    return b.build();
  }

  static MigrationStatus status(Outcome o) {
    MigrationStatus.Builder b = MigrationStatus.newBuilder()
        .setMigrationId(o.id())
        .setRole(o.role() == Role.SOURCE ? MigrationRole.MIGRATION_ROLE_SOURCE : MigrationRole.MIGRATION_ROLE_TARGET)
        .setPhase(phase(o.phase()))
        .setContainer(o.container())
        .setDetail(o.detail());
    if (o.result() != null) {
      b.setResult(result(o.result()));
    }
    return b.build();
  }

  /** The answer to a commit or abort: its outcome, or, for a migration never seen, just the phase. */
  private static MigrationStatus ended(String id, Role role, Optional<Outcome> outcome, Phase phase) {
    return outcome.map(MigrationGrpcService::status).orElseGet(() -> MigrationStatus.newBuilder()
        .setMigrationId(id)
        .setRole(role == Role.SOURCE ? MigrationRole.MIGRATION_ROLE_SOURCE : MigrationRole.MIGRATION_ROLE_TARGET)
        .setPhase(phase(phase))
        .setDetail("no record of this migration here: nothing to do")
        .build());
  }
}
