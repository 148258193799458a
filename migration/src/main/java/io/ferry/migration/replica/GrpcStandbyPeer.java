package io.ferry.migration.replica;

import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationSettings;
import io.ferry.migration.transfer.FileSender;
import io.ferry.migration.transfer.GrpcFailures;
import io.ferry.migration.transfer.SocketPump;
import io.ferry.proto.v1.FileChunk;
import io.ferry.proto.v1.MigrationServiceGrpc;
import io.ferry.proto.v1.ReceiveFilesResponse;
import io.grpc.ManagedChannel;
import java.io.InputStream;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/** {@link StandbyPeer} over the standby agent's {@code ReceiveReplica}; the channel closes with it. */
public final class GrpcStandbyPeer implements StandbyPeer {

  private final ManagedChannel channel;
  private final MigrationSettings settings;

  public GrpcStandbyPeer(ManagedChannel channel, MigrationSettings settings) {
    this.channel = channel;
    this.settings = settings;
  }

  @Override
  public ReceiveFilesResponse send(FileChunk.Header header, InputStream tar, LongConsumer onBytes) {
    MigrationServiceGrpc.MigrationServiceStub stub = MigrationServiceGrpc.newStub(channel)
        .withDeadlineAfter(settings.timeout().toMillis(), TimeUnit.MILLISECONDS)
        .withOnReadyThreshold(SocketPump.IN_FLIGHT_BYTES);
    try {
      return FileSender.send(stub::receiveReplica, header, tar, onBytes, settings.timeout());
    } catch (MigrationException e) {
      throw e;
    } catch (RuntimeException e) {
      throw GrpcFailures.from(e, "send a replica pass of " + header.getReplicaContainer());
    }
  }

  @Override
  public void close() {
    channel.shutdownNow();
  }
}
