package io.ferry.agent.images;

import io.ferry.agent.AgentException;
import io.ferry.common.ByteSize;
import java.time.Duration;
import java.util.Objects;

/**
 * What an imported archive may cost this host, and whether it may carry setuid programs.
 *
 * <ul>
 *   <li>{@code maxArchive}: the upload as sent (compressed bytes); checked while it streams in.
 *   <li>{@code maxUnpacked}: the decompressed tar stream (file contents plus headers): the bound on
 *       a decompression bomb; a file whose declared size alone passes it is refused at its header.
 *   <li>{@code maxEntries}: entries of every type (files, directories, links, FIFOs).
 *   <li>{@code allowSetuid}: when false, a regular file with the setuid or setgid bit is refused
 *       (setgid directories, common in Debian's {@code /var}, are always fine). System containers
 *       need {@code su}, {@code passwd} and {@code mount}, hence true by default.
 *   <li>{@code tarTimeout}: the longest a GNU tar run (extraction, or the tar of a directory) may
 *       take before it is killed.
 * </ul>
 *
 * <p>Exceeding a size or count limit is {@link AgentException.Kind#RESOURCE_EXHAUSTED}.
 *
 * @throws AgentException INVALID_ARGUMENT from the constructor when a value is not positive
 */
public record ImageLimits(
    ByteSize maxArchive, ByteSize maxUnpacked, long maxEntries, boolean allowSetuid, Duration tarTimeout) {

  /** 4 GiB uploaded, 16 GiB unpacked, a million entries, setuid allowed, tar killed after 10 min. */
  public static final ImageLimits DEFAULTS =
      new ImageLimits(ByteSize.ofGiB(4), ByteSize.ofGiB(16), 1_000_000, true, Duration.ofMinutes(10));

  public ImageLimits {
    Objects.requireNonNull(maxArchive, "maxArchive");
    Objects.requireNonNull(maxUnpacked, "maxUnpacked");
    Objects.requireNonNull(tarTimeout, "tarTimeout");
    if (maxArchive.bytes() <= 0 || maxUnpacked.bytes() <= 0) {
      throw AgentException.invalid("image size limits must be positive: archive " + maxArchive + ", unpacked " + maxUnpacked);
    }
    if (maxEntries <= 0) {
      throw AgentException.invalid("the image entry limit must be positive: " + maxEntries);
    }
    if (tarTimeout.isNegative() || tarTimeout.isZero()) {
      throw AgentException.invalid("the tar timeout must be positive: " + tarTimeout);
    }
  }

  public ImageLimits withMaxArchive(ByteSize size) {
    return new ImageLimits(size, maxUnpacked, maxEntries, allowSetuid, tarTimeout);
  }

  public ImageLimits withMaxUnpacked(ByteSize size) {
    return new ImageLimits(maxArchive, size, maxEntries, allowSetuid, tarTimeout);
  }

  public ImageLimits withMaxEntries(long entries) {
    return new ImageLimits(maxArchive, maxUnpacked, entries, allowSetuid, tarTimeout);
  }

  public ImageLimits withAllowSetuid(boolean allow) {
    return new ImageLimits(maxArchive, maxUnpacked, maxEntries, allow, tarTimeout);
  }

  public ImageLimits withTarTimeout(Duration timeout) {
    return new ImageLimits(maxArchive, maxUnpacked, maxEntries, allowSetuid, timeout);
  }
}
