package io.ferry.migration.replica;

import io.ferry.proto.v1.FileChunk;
import io.ferry.proto.v1.ReceiveFilesResponse;
import java.io.InputStream;
import java.util.function.LongConsumer;

/** The standby agent as the primary talks to it. */
public interface StandbyPeer extends AutoCloseable {

  /**
   * Sends one pass ({@code ReceiveReplica}) and returns the standby's confirmation.
   *
   * @throws io.ferry.migration.protocol.MigrationException with the standby's status
   */
  ReceiveFilesResponse send(FileChunk.Header header, InputStream tar, LongConsumer onBytes);

  @Override
  void close();

  /** Opens a connection to a standby agent. */
  @FunctionalInterface
  interface Opener {
    StandbyPeer open(String address);
  }
}
