package io.ferry.migration.target;

import java.io.InputStream;

/** The source agent as the target talks to it: image fetches. */
public interface SourcePeer extends AutoCloseable {

  /** The image's archive, streamed and checked (size and SHA-256) as it is read. */
  InputStream fetchImage(String digest);

  /** The image's aliases on the source, known once {@link #fetchImage}'s header arrived. */
  java.util.List<String> aliases();

  @Override
  void close();
}
