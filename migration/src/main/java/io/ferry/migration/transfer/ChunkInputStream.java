package io.ferry.migration.transfer;

import io.ferry.proto.v1.FileChunk;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;

/**
 * The data of a stream of {@link FileChunk}s read as an {@link InputStream} (a server-streamed
 * image): the data messages in order, then the trailer, whose size and SHA-256 must match what
 * arrived, else the last read fails. A blocking iterator requests messages as they are read, so the
 * reader paces the transfer.
 */
public final class ChunkInputStream extends InputStream {
  private final Iterator<FileChunk> chunks;
  private final String what;
  private final MessageDigest sha;
  private byte[] current = new byte[0];
  private int pos;
  private long total;
  private boolean ended;

  /**
   * @param chunks the data messages after the header, then a trailer
   * @param what what the stream carries, for error messages
   */
  public ChunkInputStream(Iterator<FileChunk> chunks, String what) {
    this.chunks = chunks;
    this.what = what;
    try {
      this.sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    while (pos == current.length) {
      if (ended || !advance()) {
        return -1;
      }
    }
    int n = Math.min(len, current.length - pos);
    System.arraycopy(current, pos, b, off, n);
    pos += n;
    return n;
  }

  private boolean advance() throws IOException {
    try {
      if (!chunks.hasNext()) {
        throw new IOException("the source's stream of " + what + " ended without a trailer");
      }
      FileChunk chunk = chunks.next();
      if (chunk.hasTrailer()) {
        String actual = HexFormat.of().formatHex(sha.digest());
        if (chunk.getTrailer().getSize() != total || !actual.equalsIgnoreCase(chunk.getTrailer().getSha256())) {
          throw new IOException("the stream of " + what + " arrived damaged: " + total + " bytes with SHA-256 " + actual
              + ", the source sent " + chunk.getTrailer().getSize() + " with " + chunk.getTrailer().getSha256());
        }
        ended = true;
        return false;
      }
      current = chunk.getData().toByteArray();
      pos = 0;
      sha.update(current);
      total += current.length;
      return true;
    } catch (RuntimeException e) {
      throw new IOException(GrpcFailures.from(e, "fetch " + what).getMessage(), e);
    }
  }
}
