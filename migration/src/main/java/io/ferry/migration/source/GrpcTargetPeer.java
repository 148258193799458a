package io.ferry.migration.source;

import io.ferry.migration.protocol.HostCapabilities;
import io.ferry.migration.protocol.HostCapabilitiesMapper;
import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationSettings;
import io.ferry.migration.protocol.Phase;
import io.ferry.migration.transfer.FileSender;
import io.ferry.migration.transfer.GrpcFailures;
import io.ferry.migration.transfer.SocketPump;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.FileChunk;
import io.ferry.proto.v1.GetHostInfoRequest;
import io.ferry.proto.v1.MigrationRef;
import io.ferry.proto.v1.MigrationServiceGrpc;
import io.ferry.proto.v1.MigrationStatus;
import io.ferry.proto.v1.ReceiveFilesResponse;
import io.ferry.proto.v1.RestoreIncomingRequest;
import io.ferry.proto.v1.TunnelFrame;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * {@link TargetPeer} over the target agent's gRPC services. All calls of one migration run in one
 * cancellable context: {@link #close()} (or a concurrent abort) cancels whatever is in flight.
 */
public final class GrpcTargetPeer implements TargetPeer {

  private final ManagedChannel channel;
  private final String migrationId;
  private final String token;
  private final MigrationSettings settings;
  private final Duration restoreTimeout;
  /** The target answered a stream saying it checks CRC32C ({@link #send}). */
  private volatile boolean targetChecksCrc32c;
  // Forked: not cancelled with the inbound call that started the migration (the coordinator's
  // MigrateOut). A coordinator that dies after the restore was asked must not cut the restore off;
  // before that, SourceMigrations.callerGone cancels through this peer on purpose.
  private final Context.CancellableContext context = Context.current().fork().withCancellation();

  /**
   * @param channel to the target agent; closed with this peer
   * @param restoreTimeout the deadline of RestoreIncoming (a restore of a large container is slow)
   */
  public GrpcTargetPeer(ManagedChannel channel, String migrationId, String token, MigrationSettings settings, Duration restoreTimeout) {
    this.channel = channel;
    this.migrationId = migrationId;
    this.token = token;
    this.settings = settings;
    this.restoreTimeout = restoreTimeout;
  }

  @Override
  public HostCapabilities capabilities() {
    return call("ask the target for its host facts", () -> HostCapabilitiesMapper.fromHostInfo(
        AgentServiceGrpc.newBlockingStub(channel).withDeadlineAfter(settings.rpcTimeout().toMillis(), TimeUnit.MILLISECONDS)
            .getHostInfo(GetHostInfoRequest.getDefaultInstance()).getHost()));
  }

  /**
   * Sends with SHA-256 until the target answers that it checks CRC32C (its answer to the first pass
   * of the writable layer, long before the freeze), then with CRC32C: the streams inside the frozen
   * window (the final delta, the images) pay well under a millisecond per MiB for their checksum.
   */
  @Override
  public long send(FileChunk.Header header, InputStream data, LongConsumer onBytes) {
    FileChunk.Header withToken = header.toBuilder().setMigrationId(migrationId).setToken(token)
        .setChecksum(targetChecksCrc32c ? FileChunk.Header.Checksum.CHECKSUM_CRC32C : FileChunk.Header.Checksum.CHECKSUM_SHA256)
        .build();
    ReceiveFilesResponse answer = call("send files", () -> FileSender.send(
        MigrationServiceGrpc.newStub(channel).withDeadlineAfter(settings.timeout().toMillis(), TimeUnit.MILLISECONDS)
            .withOnReadyThreshold(SocketPump.IN_FLIGHT_BYTES),
        withToken, data, onBytes, settings.timeout()));
    if (answer.getAcceptsCrc32C()) {
      targetChecksCrc32c = true;
    }
    return answer.getBytes();
  }

  @Override
  public void restore(RestoreIncomingRequest request) {
    RestoreIncomingRequest withToken = request.toBuilder().setMigrationId(migrationId).setToken(token).build();
    call("have the target restore the container", () -> MigrationServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(restoreTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .restoreIncoming(withToken));
  }

  @Override
  public Optional<Phase> phase() {
    try {
      MigrationStatus status = Context.ROOT.call(() -> MigrationServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(settings.rpcTimeout().toMillis(), TimeUnit.MILLISECONDS)
          .getMigration(MigrationRef.newBuilder().setMigrationId(migrationId).build()));
      return Optional.of(Phase.valueOf(status.getPhase().name().substring("MIGRATION_PHASE_".length())));
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return Optional.empty();
      }
      throw GrpcFailures.from(e, "ask the target about migration " + migrationId);
    } catch (Exception e) {
      throw GrpcFailures.from(e, "ask the target about migration " + migrationId);
    }
  }

  @Override
  public void abort() {
    // Not in the migration's context: an abort must go out even after that was cancelled.
    try {
      Context.ROOT.call(() -> MigrationServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(settings.rpcTimeout().toMillis(), TimeUnit.MILLISECONDS)
          .abortMigration(MigrationRef.newBuilder().setMigrationId(migrationId).build()));
    } catch (Exception e) {
      throw GrpcFailures.from(e, "have the target abort migration " + migrationId);
    }
  }

  @Override
  public CompletableFuture<Void> tunnel(String tunnelId, Socket local, LongConsumer sentBytes) {
    return tunnel(tunnelId, CompletableFuture.completedFuture(local), sentBytes);
  }

  @Override
  public CompletableFuture<Void> tunnel(String tunnelId, CompletableFuture<Socket> local, LongConsumer sentBytes) {
    SocketPump[] pump = new SocketPump[1];
    ClientResponseObserver<TunnelFrame, TunnelFrame> responses = new ClientResponseObserver<>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<TunnelFrame> requests) {
        pump[0] = new SocketPump(migrationId + "-" + tunnelId, local, requests, true, sentBytes);
        requests.setOnReadyHandler(() -> pump[0].wake());
      }

      @Override
      public void onNext(TunnelFrame frame) {
        pump[0].fromPeer(frame);
      }

      @Override
      public void onError(Throwable t) {
        pump[0].peerClosed(t);
      }

      @Override
      public void onCompleted() {
        pump[0].peerClosed(null);
      }
    };
    return call("open tunnel " + tunnelId, () -> {
      var requests = MigrationServiceGrpc.newStub(channel)
          .withDeadlineAfter(settings.timeout().toMillis(), TimeUnit.MILLISECONDS)
          .withOnReadyThreshold(SocketPump.IN_FLIGHT_BYTES)
          .tunnel(responses);
      requests.onNext(TunnelFrame.newBuilder().setOpen(TunnelFrame.Open.newBuilder()
          .setMigrationId(migrationId).setToken(token).setTunnelId(tunnelId)).build());
      pump[0].start();
      return pump[0].done();
    });
  }

  @Override
  public void close() {
    context.cancel(null);
    channel.shutdownNow();
  }

  @Override
  public void cancelInFlight() {
    context.cancel(null);
  }

  private <T> T call(String what, Callable<T> body) {
    try {
      return context.call(body);
    } catch (MigrationException e) {
      throw e;
    } catch (Exception e) {
      throw GrpcFailures.from(e, what);
    }
  }
}
