package io.ferry.agent.images;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's images: archives unpacked once, content-addressed by the SHA-256 of the archive as
 * uploaded, with aliases. Container root filesystems are overlays on {@link #rootfs}.
 *
 * <p><b>Import.</b> The upload is read once as a stream (never held in memory): hashed, decompressed
 * (gzip or zstd by magic bytes, or plain tar), every entry checked by {@link ArchiveValidator}, and
 * the accepted entries written to a canonical tar in {@code .tmp}; GNU tar unpacks that into {@code
 * .tmp}, {@code image.json} is written, and one rename publishes {@code root/<sha256>}. Any failure
 * deletes the work directory: the store is left exactly as it was. See {@link StoreLayout} for the
 * layout and {@link ArchiveValidator} for the full list of what is refused.
 *
 * <p><b>Symlinks and other hostile entries.</b> Nothing on the host ever follows a symlink of an
 * image: an entry whose path goes through an earlier symlink (or non-directory) of the archive is
 * refused, as are duplicate paths, absolute names and {@code ..} components, so GNU tar only ever
 * creates entries in real directories it made itself. Absolute symlink targets are kept (root
 * filesystems need them; they resolve inside the container's root at run time); relative targets
 * that climb out of the image root lexically are refused. Hard links may only point at earlier
 * regular files. Device nodes are refused (the runtime provides {@code /dev}; a tar of a
 * debootstrap directory must leave out its {@code dev/*}). Extended attributes, ACLs and file
 * capabilities are not kept. Code that later writes into an image's rootfs (or an overlay on it)
 * from the host must not follow its symlinks either.
 *
 * <p><b>Failures</b> are {@link AgentException}s: INVALID_ARGUMENT for a hostile, corrupt or empty
 * archive, a digest mismatch or a bad alias (the message names the entry or value);
 * RESOURCE_EXHAUSTED for the {@link ImageLimits} and a full disk; NOT_FOUND for an unknown or
 * ambiguous reference; FAILED_PRECONDITION for deleting an image in use, or a root another store
 * holds; CONFLICT when an image is deleted while its hash-only re-import uploads; TIMEOUT and
 * INTERNAL when GNU tar or the disk fail.
 *
 * <p><b>Threading.</b> All methods are safe to call from concurrent gRPC calls. Imports stream,
 * validate and unpack without any store-wide lock, so imports of different images run in parallel.
 * Unpacking, publishing and deleting one digest hold that digest's lock: two imports of the same
 * archive at once unpack it once (the second waits, then only sets its aliases), and a delete and an
 * import of the same digest happen one after the other, never interleaved. Every change of the
 * in-memory index, of {@code aliases.json} and of the root directory happens under one short
 * metadata lock, so lookups always see a consistent store. Exactly one store may use a root at a
 * time, enforced with a file lock on {@code root/.lock}; {@link #close} releases it.
 */
public final class ImageStore implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ImageStore.class);

  private final StoreLayout layout;
  private final ImageLimits limits;
  private final Clock clock;
  private final ObjectMapper json = new ObjectMapper();
  private final ArchiveScanner scanner;
  private final TarTool tar;
  private final KeyedLocks digestLocks = new KeyedLocks();
  private final FileChannel lockChannel;

  /** The metadata; its monitor is the metadata lock, also held around renames in the root. */
  private final ImageIndex index;

  /** A store with the system clock. */
  public ImageStore(Path root, ImageLimits limits) {
    this(root, limits, Clock.systemUTC());
  }

  /**
   * Opens (creating if needed) the store at {@code root}: takes its lock, empties {@code .tmp}
   * (what an interrupted import or delete left), loads every image whose {@code image.json} reads
   * back and the aliases that point at them. An image directory without readable metadata is
   * removed; an alias to a missing image is dropped; both with a warning.
   *
   * @throws AgentException FAILED_PRECONDITION when another store holds {@code root}, INTERNAL
   *     when it cannot be created or read
   */
  public ImageStore(Path root, ImageLimits limits, Clock clock) {
    this.layout = new StoreLayout(root.toAbsolutePath().normalize());
    this.limits = Objects.requireNonNull(limits, "limits");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.scanner = new ArchiveScanner(limits);
    boolean asRoot = runningAsRoot();
    this.tar = new TarTool(limits.tarTimeout(), asRoot);
    this.lockChannel = layout.lock();
    try {
      layout.prepare();
      this.index = ImageIndex.load(layout, json);
    } catch (IOException | RuntimeException e) {
      close();
      throw e instanceof AgentException agent
          ? agent
          : AgentException.internal("cannot open the image store at " + layout.root() + ": " + e.getMessage(), e);
    }
    if (!asRoot) {
      log.warn("image store root={} not running as root: unpacked files will belong to this user, not the archive's owners", layout.root());
    }
    log.info("image store opened root={} images={} aliases={}", layout.root(), index.size(), index.aliases().all().size());
  }

  /** The store's root directory (absolute). */
  public Path root() {
    return layout.root();
  }

  /**
   * Imports a tar archive (plain, gzip or zstd) read from {@code in} until its end. {@code in} is
   * not closed; after a failure it may be left partly read. When the archive's digest is already in
   * the store nothing is unpacked again, and only the aliases change. While it runs, {@code .tmp}
   * holds up to twice the unpacked size (the canonical tar, then the tree).
   *
   * @return the image, with all its aliases
   * @throws AgentException INVALID_ARGUMENT naming the entry for a hostile, corrupt or empty
   *     archive or a digest mismatch; RESOURCE_EXHAUSTED for a limit or a full disk; CONFLICT when
   *     the image was deleted during a hash-only re-import; TIMEOUT or INTERNAL when GNU tar or the
   *     disk fail. The caller's stream's own runtime exceptions pass through unchanged.
   */
  public ImageRecord importArchive(InputStream in, ImportOptions options) {
    Objects.requireNonNull(in, "in");
    Objects.requireNonNull(options, "options");
    long started = System.nanoTime();
    Optional<String> expected = options.expectedSha256();
    if (expected.isPresent() && contains(expected.get())) {
      return reimport(in, expected.get(), options, started);
    }
    Path work = layout.newWorkDir("import-");
    try {
      ArchiveScanner.Scanned scanned = scanner.scan(in, work.resolve("canonical.tar"));
      if (expected.isPresent() && !expected.get().equals(scanned.digest())) {
        throw mismatch(expected.get(), scanned.digest());
      }
      long scannedMs = millisSince(started);
      return publish(scanned.digest(), scanned, work, options, started, scannedMs);
    } finally {
      FileTrees.deleteQuietly(work);
    }
  }

  /**
   * Imports an image another host sent as a tar of its tree (a migration's FetchImage), under the
   * digest it has there, so that a container's record names the same image on every host. The
   * archive goes through the same checks as any upload; only its digest is not compared (a tar of
   * an unpacked tree never has the original upload's digest). The sender is trusted for the
   * digest: it is an agent of the cluster, authenticated by the migration's token. A digest already
   * in the store is not imported again.
   *
   * @throws AgentException as {@link #importArchive}, INVALID_ARGUMENT for a malformed digest
   */
  public ImageRecord importReplica(InputStream in, String digest, ImportOptions options) {
    String expected = new ImportOptions(List.of(), Optional.of(digest), "").expectedSha256().orElseThrow();
    if (contains(expected)) {
      synchronized (index) {
        index.aliases().point(options.aliases(), expected);
        return index.record(expected);
      }
    }
    long started = System.nanoTime();
    Path work = layout.newWorkDir("replica-");
    try {
      ArchiveScanner.Scanned scanned = scanner.scan(in, work.resolve("canonical.tar"));
      return publish(expected, scanned, work, options, started, millisSince(started));
    } finally {
      FileTrees.deleteQuietly(work);
    }
  }

  /**
   * Imports the directory tree at {@code dir} as if it were uploaded as a tar: GNU tar packs it
   * deterministically (names sorted, numeric owners, GNU format, one file system; sockets are
   * skipped), and that tar goes through {@link #importArchive}, so the same rules apply (device
   * nodes are refused, for one). An unchanged directory always gives the same digest. The source
   * defaults to {@code "directory <dir>"}.
   *
   * @throws AgentException INVALID_ARGUMENT when {@code dir} is not a directory or holds the store
   */
  public ImageRecord importDirectory(Path dir, ImportOptions options) {
    Objects.requireNonNull(options, "options");
    Path real;
    try {
      real = dir.toRealPath();
    } catch (IOException e) {
      throw AgentException.invalid("cannot import " + dir + ": " + e.getMessage());
    }
    if (!Files.isDirectory(real)) {
      throw AgentException.invalid("cannot import " + dir + ": not a directory");
    }
    if (layout.root().startsWith(real)) {
      throw AgentException.invalid("cannot import " + dir + ": it contains the image store itself");
    }
    Path work = layout.newWorkDir("pack-");
    try {
      Path packed = work.resolve("directory.tar");
      tar.create(real, packed);
      ImportOptions effective = options.source().isEmpty() ? options.withSource("directory " + real) : options;
      try (InputStream in = Files.newInputStream(packed)) {
        return importArchive(in, effective);
      } catch (IOException e) {
        throw AgentException.internal("cannot read the tar of " + dir + ": " + e.getMessage(), e);
      }
    } finally {
      FileTrees.deleteQuietly(work);
    }
  }

  /** Every image with its aliases, oldest first. */
  public List<ImageRecord> list() {
    synchronized (index) {
      return index.list();
    }
  }

  /**
   * The image {@code ref} names: an alias, a full digest, or a digest prefix of at least 12 hex
   * digits that only one image has (an optional {@code sha256:} prefix is accepted). Aliases win
   * over digest prefixes.
   *
   * @throws AgentException NOT_FOUND (naming {@code ref}) when it is unknown or ambiguous
   */
  public ImageRecord find(String ref) {
    synchronized (index) {
      return index.record(index.resolve(ref));
    }
  }

  /**
   * The unpacked tree of the image {@code ref} names (any form {@link #find} takes). The path stays
   * valid until the image is deleted, which {@link ImageUsage} prevents while a container uses it.
   */
  public Path rootfs(String ref) {
    synchronized (index) {
      return layout.rootfs(index.resolve(ref));
    }
  }

  /**
   * Points {@code alias} at the image {@code ref} names, moving it from any other image.
   *
   * @return that image, with all its aliases
   * @throws AgentException INVALID_ARGUMENT for a bad alias, NOT_FOUND for an unknown ref
   */
  public ImageRecord setAlias(String alias, String ref) {
    AliasTable.requireValid(alias);
    synchronized (index) {
      String digest = index.resolve(ref);
      index.aliases().point(List.of(alias), digest);
      log.info("image alias set alias={} image={}", alias, digest);
      return index.record(digest);
    }
  }

  /**
   * Removes {@code alias}; the image stays.
   *
   * @return the image it pointed at, with its remaining aliases
   * @throws AgentException NOT_FOUND when there is no such alias
   */
  public ImageRecord removeAlias(String alias) {
    synchronized (index) {
      String digest = index.aliases().digestOf(alias)
          .orElseThrow(() -> AgentException.notFound("no image alias " + EntryPaths.quote(String.valueOf(alias))));
      index.aliases().remove(alias);
      log.info("image alias removed alias={} image={}", alias, digest);
      return index.record(digest);
    }
  }

  /**
   * Deletes the image {@code ref} names and its aliases, unless a container uses it. The image
   * disappears from the store at once (one rename); its files are removed afterwards.
   *
   * @return the deleted image, with the aliases it had
   * @throws AgentException NOT_FOUND for an unknown ref, FAILED_PRECONDITION "image X is used by
   *     containers a, b" when {@code usage} names any
   */
  public ImageRecord delete(String ref, ImageUsage usage) {
    Objects.requireNonNull(usage, "usage");
    String digest;
    synchronized (index) {
      digest = index.resolve(ref);
    }
    Path trash = layout.tmp().resolve("delete-" + UUID.randomUUID());
    ImageRecord removed;
    KeyedLocks.Held held = digestLocks.acquire(digest);
    try {
      String label;
      synchronized (index) {
        if (!index.contains(digest)) {
          throw AgentException.notFound("no image " + EntryPaths.quote(ref) + " (it was just deleted)");
        }
        label = index.label(digest);
      }
      List<String> users = Objects.requireNonNullElse(usage.containersUsing(digest), List.of());
      if (!users.isEmpty()) {
        throw AgentException.precondition(
            "image " + label + " is used by container" + (users.size() == 1 ? " " : "s ") + String.join(", ", users));
      }
      synchronized (index) {
        removed = index.record(digest);
        SortedMap<String, String> before = index.aliases().all();
        index.aliases().removeAllOf(digest);
        try {
          Files.move(layout.imageDir(digest), trash, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
          try {
            index.aliases().replace(before);
          } catch (AgentException undo) {
            e.addSuppressed(undo);
          }
          throw StoreLayout.writeFailure(layout.imageDir(digest), e);
        }
        index.remove(digest);
      }
    } finally {
      held.close();
    }
    long started = System.nanoTime();
    FileTrees.deleteQuietly(trash);
    log.info("image deleted image={} aliases={} files_removed_ms={}", digest, removed.aliases(), millisSince(started));
    return removed;
  }

  /** Releases the root's lock. Call once no other call is running; the store is unusable after. */
  @Override
  public void close() {
    try {
      lockChannel.close();
    } catch (IOException e) {
      log.warn("cannot release the image store lock root={}: {}", layout.root(), e.toString());
    }
  }

  private ImageRecord reimport(InputStream in, String expected, ImportOptions options, long started) {
    ArchiveScanner.Hashed hashed = scanner.hash(in);
    if (!hashed.digest().equals(expected)) {
      throw mismatch(expected, hashed.digest());
    }
    synchronized (index) {
      if (!index.contains(expected)) {
        throw new AgentException(
            Kind.CONFLICT, "image " + expected + " was deleted while its re-import was uploading: import it again");
      }
      index.aliases().point(options.aliases(), expected);
      log.info("image already present image={} aliases={} hashed_bytes={} ms={}",
          expected, options.aliases(), hashed.archiveBytes(), millisSince(started));
      return index.record(expected);
    }
  }

  private ImageRecord publish(
      String digest, ArchiveScanner.Scanned scanned, Path work, ImportOptions options, long started, long scannedMs) {
    KeyedLocks.Held held = digestLocks.acquire(digest);
    try {
      synchronized (index) {
        if (index.contains(digest)) {
          index.aliases().point(options.aliases(), digest);
          log.info("image already present image={} aliases={} ms={}", digest, options.aliases(), millisSince(started));
          return index.record(digest);
        }
      }
      Path staged = work.resolve("image");
      Path canonical = work.resolve("canonical.tar");
      ImageRecord image = new ImageRecord(
          digest, List.of(), scanned.archiveBytes(), scanned.unpackedBytes(), scanned.entries(), clock.instant(), options.source());
      try {
        Files.createDirectories(staged.resolve("rootfs"));
        tar.extract(canonical, staged.resolve("rootfs"));
        Files.delete(canonical);
        Files.write(staged.resolve("image.json"), ImageJson.bytes(json, image, scanned));
      } catch (IOException e) {
        throw StoreLayout.writeFailure(staged, e);
      }
      long unpackedMs = millisSince(started);
      FileTrees.syncFileSystem(staged, limits.tarTimeout());
      long syncedMs = millisSince(started);
      synchronized (index) {
        moveIntoPlace(staged, image, options);
        log.info(
            "image imported image={} aliases={} format={} archive_bytes={} unpacked_bytes={} entries={}"
                + " dropped_xattrs={} scan_ms={} unpack_ms={} sync_ms={} total_ms={}",
            digest, options.aliases(), scanned.format().name().toLowerCase(Locale.ROOT), scanned.archiveBytes(),
            scanned.unpackedBytes(), scanned.entries(), scanned.droppedAttributes(), scannedMs,
            unpackedMs - scannedMs, syncedMs - unpackedMs, millisSince(started));
        return index.record(digest);
      }
    } finally {
      held.close();
    }
  }

  /**
   * Holding {@link #index}: renames the staged image into the root, indexes it and points its
   * aliases. When the aliases cannot be written the rename is undone, so the import fails whole.
   */
  private void moveIntoPlace(Path staged, ImageRecord image, ImportOptions options) {
    Path target = layout.imageDir(image.digest());
    try {
      Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw StoreLayout.writeFailure(target, e);
    }
    index.put(image);
    try {
      StoreLayout.syncDirectory(layout.root());
    } catch (IOException e) {
      log.warn("image={} published but the store root could not be flushed: {}", image.digest(), e.toString());
    }
    try {
      index.aliases().point(options.aliases(), image.digest());
    } catch (AgentException e) {
      try {
        Files.move(target, staged, StandardCopyOption.ATOMIC_MOVE);
        index.remove(image.digest());
      } catch (IOException undo) {
        // Still published and complete: keep it indexed, only its aliases are missing.
        e.addSuppressed(undo);
      }
      throw e;
    }
  }

  private boolean contains(String digest) {
    synchronized (index) {
      return index.contains(digest);
    }
  }

  private static AgentException mismatch(String expected, String actual) {
    return AgentException.invalid("archive digest mismatch: expected sha256 " + expected + ", the upload has " + actual);
  }

  private static boolean runningAsRoot() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false;
    }
  }

  private static long millisSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }
}
