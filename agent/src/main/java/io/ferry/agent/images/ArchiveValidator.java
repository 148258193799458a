package io.ferry.agent.images;

import static io.ferry.agent.images.EntryPaths.quote;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * The rules every entry of an image archive must pass before anything is written to disk, applied
 * in archive order, with the memory of the entries before it.
 *
 * <p>Refused, as INVALID_ARGUMENT naming the entry:
 *
 * <ul>
 *   <li>names that are empty, absolute, contain a {@code ..} component or are too long for Linux;
 *   <li>an entry whose path passes <em>through</em> an earlier symlink (the "symlink, then write
 *       through it" attack) or through an earlier non-directory;
 *   <li>a second entry for a path already in the archive, unless both are directories;
 *   <li>relative symlinks whose target, resolved lexically from the link's directory, leaves the
 *       image root ({@code a/b -> ../../../etc}). Absolute symlink targets are accepted: root
 *       filesystems are full of them ({@code /etc/localtime}, systemd's {@code *.wants}), and they
 *       resolve inside the container's root at run time;
 *   <li>hard links whose target is absolute, contains {@code ..} or is not an earlier regular file;
 *   <li>character and block devices, wherever they are (a container gets its devices from the
 *       runtime, which mounts its own {@code /dev}; no device node is ever created on the host),
 *       sparse files and exotic entry types; FIFOs are allowed;
 *   <li>setuid/setgid regular files when {@link ImageLimits#allowSetuid()} is false;
 *   <li>owner ids outside 0..4294967294.
 * </ul>
 *
 * <p>RESOURCE_EXHAUSTED when the entry count or the sum of declared file sizes passes the limits.
 *
 * <p>Memory grows with the number of entries (one map entry per path), bounded by {@link
 * ImageLimits#maxEntries()}. Not thread-safe: one validator per archive.
 */
final class ArchiveValidator {

  /** What an entry is, after validation. */
  enum Type {
    DIRECTORY,
    FILE,
    SYMLINK,
    HARDLINK,
    FIFO
  }

  /**
   * An entry that passed: its normalised path ("" for the root) and exactly what will be written.
   *
   * @param link the symlink target as given, or the hard link's normalised target; null otherwise
   * @param size content bytes (regular files only; zero for every other type)
   * @param mode permission bits, {@code 07777} at most
   */
  record Validated(String path, Type type, String link, long size, int mode, long uid, long gid, FileTime mtime) {}

  static final long MAX_ID = 4_294_967_294L;

  private static final int SETUID_SETGID = 06000;

  /** What a path already is in this archive; prefixes of entries count as directories. */
  private enum Seen {
    DIRECTORY,
    FILE,
    SYMLINK,
    FIFO
  }

  private final ImageLimits limits;
  private final Map<String, Seen> seen = new HashMap<>();
  private long entries;
  private long declaredBytes;

  ArchiveValidator(ImageLimits limits) {
    this.limits = limits;
  }

  /** Entries accepted so far. */
  long entries() {
    return entries;
  }

  /** Sum of the accepted regular files' sizes. */
  long declaredBytes() {
    return declaredBytes;
  }

  /**
   * Checks the next entry against the rules and the entries before it, and remembers it.
   *
   * @throws AgentException INVALID_ARGUMENT or RESOURCE_EXHAUSTED naming the entry
   */
  Validated check(TarArchiveEntry entry) {
    String raw = entry.getName();
    String what = "entry " + quote(raw);
    if (++entries > limits.maxEntries()) {
      throw new AgentException(
          Kind.RESOURCE_EXHAUSTED, "archive has more than " + limits.maxEntries() + " entries (limit reached at " + what + ")");
    }
    Type type = typeOf(entry, what);
    String path = EntryPaths.normalize(raw, what);
    if (path.isEmpty() && type != Type.DIRECTORY) {
      throw AgentException.invalid(what + ": the image root can only be a directory");
    }
    checkParents(path, what);
    checkDuplicate(path, type, what);
    checkOwner(entry.getLongUserId(), "uid", what);
    checkOwner(entry.getLongGroupId(), "gid", what);
    int mode = entry.getMode() & 07777;
    String link = null;
    long size = 0;
    switch (type) {
      case FILE:
        size = entry.getSize();
        if (size > limits.maxUnpacked().bytes() - declaredBytes) {
          throw new AgentException(
              Kind.RESOURCE_EXHAUSTED,
              what + ": unpacked size passes the limit of " + limits.maxUnpacked() + " (" + size + " bytes in this file)");
        }
        declaredBytes += size;
        if (!limits.allowSetuid() && (mode & SETUID_SETGID) != 0) {
          throw AgentException.invalid(
              what + ": setuid/setgid file (mode " + Integer.toOctalString(mode) + ") and this host refuses them");
        }
        break;
      case HARDLINK:
        link = hardLinkTarget(entry.getLinkName(), what);
        break;
      case SYMLINK:
        link = symlinkTarget(path, entry.getLinkName(), what);
        break;
      default:
        break;
    }
    remember(path, type);
    return new Validated(path, type, link, size, mode, entry.getLongUserId(), entry.getLongGroupId(), entry.getLastModifiedTime());
  }

  private static Type typeOf(TarArchiveEntry entry, String what) {
    if (entry.isSparse()) {
      throw AgentException.invalid(what + ": sparse files are not supported");
    }
    byte flag = entry.getLinkFlag();
    switch (flag) {
      case TarConstants.LF_CHR:
      case TarConstants.LF_BLK:
        throw AgentException.invalid(
            what + ": " + (flag == TarConstants.LF_CHR ? "character" : "block") + " device " + entry.getDevMajor() + ","
                + entry.getDevMinor() + " (device nodes are not allowed in images; the runtime provides /dev)");
      case TarConstants.LF_LINK:
        return Type.HARDLINK;
      case TarConstants.LF_SYMLINK:
        return Type.SYMLINK;
      case TarConstants.LF_FIFO:
        return Type.FIFO;
      case TarConstants.LF_DIR:
        return Type.DIRECTORY;
      case TarConstants.LF_NORMAL:
      case TarConstants.LF_OLDNORM:
      case TarConstants.LF_CONTIG:
        // Old archives mark directories with a trailing slash on a regular-file entry.
        return entry.getName().endsWith("/") ? Type.DIRECTORY : Type.FILE;
      default:
        throw AgentException.invalid(what + ": unsupported entry type '" + printable(flag) + "'");
    }
  }

  private void checkParents(String path, String what) {
    int slash = path.indexOf('/');
    while (slash > 0) {
      String prefix = path.substring(0, slash);
      Seen parent = seen.get(prefix);
      if (parent == Seen.SYMLINK) {
        throw AgentException.invalid(
            what + ": its path passes through " + quote(prefix)
                + ", a symlink earlier in the archive (writing through symlinks is not allowed)");
      }
      if (parent != null && parent != Seen.DIRECTORY) {
        throw AgentException.invalid(
            what + ": its path passes through " + quote(prefix) + ", which is not a directory in the archive");
      }
      slash = path.indexOf('/', slash + 1);
    }
  }

  private void checkDuplicate(String path, Type type, String what) {
    Seen before = seen.get(path);
    if (before == null || (before == Seen.DIRECTORY && type == Type.DIRECTORY)) {
      return;
    }
    throw AgentException.invalid(
        what + ": " + (path.isEmpty() ? "the root" : quote(path)) + " is already in the archive as a "
            + before.name().toLowerCase(Locale.ROOT) + " (duplicate entries are not allowed)");
  }

  private static void checkOwner(long id, String which, String what) {
    if (id < 0 || id > MAX_ID) {
      throw AgentException.invalid(what + ": " + which + " " + id + " is out of range 0.." + MAX_ID);
    }
  }

  private String hardLinkTarget(String raw, String what) {
    String target = EntryPaths.normalize(raw, what + " (hard link target " + quote(raw) + ")");
    if (seen.get(target) != Seen.FILE) {
      throw AgentException.invalid(
          what + ": hard link to " + quote(raw) + ", which is not an earlier regular file in the archive");
    }
    return target;
  }

  private static String symlinkTarget(String path, String target, String what) {
    if (target.isEmpty()) {
      throw AgentException.invalid(what + ": symlink with an empty target");
    }
    if (target.indexOf('\uFFFD') >= 0) {
      throw AgentException.invalid(what + ": symlink target is not valid UTF-8");
    }
    if (target.getBytes(StandardCharsets.UTF_8).length > EntryPaths.MAX_PATH_BYTES) {
      throw AgentException.invalid(what + ": symlink target is longer than " + EntryPaths.MAX_PATH_BYTES + " bytes");
    }
    if (!target.startsWith("/") && !EntryPaths.staysInside(path, target)) {
      throw AgentException.invalid(
          what + ": symlink to " + quote(target) + " points outside the image root");
    }
    return target;
  }

  private void remember(String path, Type type) {
    int slash = path.indexOf('/');
    while (slash > 0) {
      seen.putIfAbsent(path.substring(0, slash), Seen.DIRECTORY);
      slash = path.indexOf('/', slash + 1);
    }
    Seen what;
    switch (type) {
      case DIRECTORY:
        what = Seen.DIRECTORY;
        break;
      case FILE:
      case HARDLINK:
        what = Seen.FILE;
        break;
      case SYMLINK:
        what = Seen.SYMLINK;
        break;
      default:
        what = Seen.FIFO;
        break;
    }
    seen.put(path, what);
  }

  private static String printable(byte flag) {
    return flag >= 0x20 && flag < 0x7f ? String.valueOf((char) flag) : String.format("\\x%02x", flag & 0xff);
  }
}
