package io.ferry.agent.images;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One image in the store, as callers see it.
 *
 * @param digest SHA-256 of the archive's bytes as uploaded, 64 lower-case hex digits: the image's
 *     identity and its directory name
 * @param aliases the aliases that point at it, sorted
 * @param archiveBytes size of the archive as uploaded (compressed)
 * @param unpackedBytes sum of the sizes of its regular files (hard links counted once)
 * @param fileCount entries of every type: files, directories, links, FIFOs
 * @param createdAt when this host unpacked it
 * @param source what the importer said it came from (free text, may be empty)
 */
public record ImageRecord(
    String digest,
    List<String> aliases,
    long archiveBytes,
    long unpackedBytes,
    long fileCount,
    Instant createdAt,
    String source) {

  public ImageRecord {
    Objects.requireNonNull(digest, "digest");
    aliases = aliases.stream().sorted().toList();
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(source, "source");
  }

  /** The first 12 hex digits: how people and log lines name an image. */
  public String shortDigest() {
    return digest.substring(0, 12);
  }

  ImageRecord withAliases(List<String> newAliases) {
    return new ImageRecord(digest, newAliases, archiveBytes, unpackedBytes, fileCount, createdAt, source);
  }
}
