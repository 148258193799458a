package io.ferry.agent.images;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * A tar reader that bounds what commons-compress would otherwise take on trust, so that a small
 * hostile archive cannot exhaust the agent's heap or stack while its headers are parsed:
 *
 * <ul>
 *   <li>an extended header (pax {@code x}/{@code g}, GNU long name or long link) larger than 1 MiB
 *       is refused before it is read into memory;
 *   <li>more than 8 extended headers in a row are refused (commons-compress reads each with a
 *       recursive call);
 *   <li>GNU sparse headers (pax {@code GNU.sparse.*} or old-style extension records) are refused
 *       while being read: sparse maps can be made to allocate without bound;
 * </ul>
 *
 * <p>Each refusal is an {@link IOException}, which the scanner reports as a corrupt archive.
 * Names are decoded as UTF-8. Not thread-safe.
 */
final class GuardedTarInputStream extends org.apache.commons.compress.archivers.tar.TarArchiveInputStream {

  static final int MAX_HEADER_CHAIN = 8;
  static final long MAX_EXTENDED_HEADER_BYTES = 1 << 20;

  private static final int MAX_RECORDS_PER_HEADER = 64;
  private static final byte[] SPARSE_KEY = "GNU.sparse.".getBytes(StandardCharsets.US_ASCII);

  private int depth;
  private TarArchiveEntry recordsOwner;
  private int recordsForOwner;

  // Where the pax scanner is: which header, which part of "LENGTH KEY=VALUE\n", how far into the key.
  private TarArchiveEntry paxOwner;
  private int paxPart;
  private long paxRecordLength;
  private long paxRecordRead;
  private int paxKeyMatch;

  GuardedTarInputStream(InputStream in) {
    super(in, StandardCharsets.UTF_8.name());
  }

  @Override
  public TarArchiveEntry getNextEntry() throws IOException {
    if (depth >= MAX_HEADER_CHAIN) {
      throw new IOException("more than " + MAX_HEADER_CHAIN + " extended headers in a row");
    }
    depth++;
    try {
      return super.getNextEntry();
    } finally {
      depth--;
    }
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    TarArchiveEntry current = getCurrentEntry();
    boolean extended = current != null && isExtendedHeader(current);
    if (extended && current.getSize() > MAX_EXTENDED_HEADER_BYTES) {
      throw new IOException(
          "extended header of " + current.getSize() + " bytes (at most " + MAX_EXTENDED_HEADER_BYTES + " allowed)");
    }
    int n = super.read(buffer, offset, length);
    if (extended && (current.isPaxHeader() || current.isGlobalPaxHeader())) {
      refuseSparseKeys(current, buffer, offset, n);
    }
    return n;
  }

  @Override
  protected byte[] readRecord() throws IOException {
    TarArchiveEntry current = getCurrentEntry();
    if (current != recordsOwner) {
      recordsOwner = current;
      recordsForOwner = 0;
    }
    if (++recordsForOwner > MAX_RECORDS_PER_HEADER) {
      throw new IOException("too many header records for one entry (sparse files are not supported)");
    }
    return super.readRecord();
  }

  /** Follows the pax records' framing and refuses any key starting with {@code GNU.sparse.}. */
  private void refuseSparseKeys(TarArchiveEntry header, byte[] buffer, int offset, int n) throws IOException {
    if (header != paxOwner) {
      paxOwner = header;
      paxPart = 0;
      paxRecordLength = 0;
      paxRecordRead = 0;
    }
    for (int i = 0; i < n; i++) {
      byte b = buffer[offset + i];
      paxRecordRead++;
      if (paxPart == 0) {
        if (b >= '0' && b <= '9' && paxRecordLength < MAX_EXTENDED_HEADER_BYTES) {
          paxRecordLength = paxRecordLength * 10 + (b - '0');
        } else if (b == ' ') {
          paxPart = 1;
          paxKeyMatch = 0;
        }
      } else if (paxPart == 1) {
        if (b == '=') {
          paxPart = 2;
        } else if (paxKeyMatch >= 0 && b == SPARSE_KEY[paxKeyMatch]) {
          if (++paxKeyMatch == SPARSE_KEY.length) {
            throw new IOException("GNU sparse headers: sparse files are not supported");
          }
        } else {
          paxKeyMatch = -1;
        }
      }
      if (paxRecordRead == paxRecordLength) {
        paxPart = 0;
        paxRecordLength = 0;
        paxRecordRead = 0;
      }
    }
  }

  private static boolean isExtendedHeader(TarArchiveEntry entry) {
    return entry.isPaxHeader()
        || entry.isGlobalPaxHeader()
        || entry.isGNULongNameEntry()
        || entry.isGNULongLinkEntry();
  }
}
