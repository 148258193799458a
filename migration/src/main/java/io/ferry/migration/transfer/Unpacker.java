package io.ferry.migration.transfer;

import java.io.OutputStream;

/**
 * An archive being unpacked into a directory: write it into {@link #input()}, then call {@link
 * #finish()}; {@link #close()} gives up (after a failure or a cancel). GNU tar ({@link
 * TarStreams#unpack}) or the agent itself for a flat directory of files ({@link FlatArchive#unpack}).
 */
public interface Unpacker extends AutoCloseable {

  OutputStream input();

  /**
   * Ends the input and checks that the archive was whole and unpacked.
   *
   * @throws io.ferry.migration.protocol.MigrationException INTERNAL (a corrupt or truncated
   *     archive, a full disk), TIMEOUT
   */
  void finish();

  /** What the unpacker said about a failure, for a write that failed early; may be empty. */
  String problems();

  @Override
  void close();
}
