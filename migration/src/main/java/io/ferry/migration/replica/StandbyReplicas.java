package io.ferry.migration.replica;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.ferry.common.Names;
import io.ferry.common.process.Command;
import io.ferry.common.process.CommandResult;
import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationException.Kind;
import io.ferry.migration.protocol.MigrationSettings;
import io.ferry.migration.target.SafePaths;
import io.ferry.migration.transfer.FileReceiver;
import io.ferry.migration.transfer.TarStreams;
import io.ferry.migration.transfer.TreeManifest;
import io.ferry.proto.v1.FileChunk;
import io.ferry.proto.v1.ReceiveFilesResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standby side of replication: the replicas this host keeps for containers running elsewhere,
 * under {@code <dir>/<container>/}: {@code replica.json} ({@link ReplicaRecord}) and {@code
 * gen-<N>/}, the writable layer as of the last complete pass N.
 *
 * <p>Consistency: a pass never touches {@code gen-<N>}. It is built in {@code incoming-<N+1>/} (a
 * full pass: unpacked into an empty directory; a delta: a hard-link clone of {@code gen-<N>}, the
 * deletions, then the tar unpacked over it; GNU tar replaces a file by unlinking it, so the clone's
 * links never write through to {@code gen-<N>}). Only once the whole stream arrived and its size and
 * SHA-256 matched the sender's is it renamed to {@code gen-<N+1>} and the record rewritten
 * atomically to name it: that write is the commit point. A broken stream, a full disk, a tar
 * failure or a crash at any moment therefore leaves the record naming a complete tree; {@link
 * #recover} deletes whatever directory the record does not name, and a record whose tree is
 * missing is reset to "no pass" (the next pass is full, and promotion refuses).
 *
 * <p>Security: a pass is accepted only from the host named at prepare (its certificate's name, given
 * by the caller) with the replica's token (compared in constant time); paths to delete are confined
 * to the tree ({@link SafePaths}); the stream's size is bounded by {@link #maxIncomingBytes}.
 *
 * <p>Threading: thread-safe; one pass at a time per replica, control calls serialised per replica.
 */
public final class StandbyReplicas {

  private static final Logger log = LoggerFactory.getLogger(StandbyReplicas.class);

  private static final String RECORD = "replica.json";
  private static final String GENERATION = "gen-";
  private static final String INCOMING = "incoming-";

  private final Path dir;
  private final StandbyHost host;
  private final StandbyHost.ImageSource images;
  private final TarStreams tar;
  private final MigrationSettings settings;
  private final Clock clock;
  private final Map<String, Replica> replicas = new ConcurrentHashMap<>();

  /** One replica in memory. Its monitor serialises control calls and the commit of a pass. */
  private static final class Replica {
    volatile ReplicaRecord record;
    final AtomicBoolean receiving = new AtomicBoolean();

    Replica(ReplicaRecord record) {
      this.record = record;
    }
  }

  public StandbyReplicas(
      Path dir, StandbyHost host, StandbyHost.ImageSource images, TarStreams tar, MigrationSettings settings, Clock clock) {
    this.dir = dir;
    this.host = host;
    this.images = images;
    this.tar = tar;
    this.settings = settings;
    this.clock = clock;
  }

  /**
   * Loads the replicas a previous agent process kept: deletes unfinished passes and superseded
   * trees, and resets a replica whose tree is missing to "no pass". Call once, before serving.
   */
  public void recover() {
    try {
      Files.createDirectories(dir);
      try (Stream<Path> entries = Files.list(dir)) {
        for (Path d : entries.filter(Files::isDirectory).toList()) {
          Optional<ReplicaRecord> loaded = AtomicJson.read(d.resolve(RECORD), ReplicaRecord.class);
          if (loaded.isEmpty()) {
            log.warn("replica directory {} has no record: deleted", d);
            SafePaths.removeTree(d);
            continue;
          }
          ReplicaRecord r = loaded.get();
          removeAllBut(r.container(), r.generation());
          if (r.promotable() && !Files.isDirectory(tree(r.container(), r.generation()))) {
            log.error("container={} replica's tree of generation {} is missing: the next pass must be full", r.container(),
                r.generation());
            r = r.withoutPass();
            AtomicJson.write(d.resolve(RECORD), r);
          }
          replicas.put(r.container(), new Replica(r));
          log.info("container={} {} recovered", r.container(), r);
        }
      }
    } catch (IOException e) {
      throw MigrationException.internal("cannot load the replicas in " + dir + ": " + e.getMessage(), e);
    }
  }

  // ---- control plane ----

  /**
   * PrepareReplica: makes an empty replica, or keeps the existing one (and its passes) with the new
   * token, source and spec.
   *
   * @throws MigrationException INVALID_ARGUMENT, ALREADY_EXISTS (a container of that name runs here)
   */
  public ReplicaRecord prepare(ReplicaPrepare request) {
    requireName(request.container());
    if (request.token() == null || request.token().length() < 16) {
      throw new MigrationException(Kind.INVALID_ARGUMENT, "replica of " + request.container() + ": a token of at least 16 characters is required");
    }
    if (request.sourceHost() == null || request.sourceHost().isEmpty()) {
      throw new MigrationException(Kind.INVALID_ARGUMENT, "replica of " + request.container() + ": the source host is required");
    }
    String problem = Names.problem("source host", request.sourceHost());
    if (problem != null) {
      throw new MigrationException(Kind.INVALID_ARGUMENT, problem);
    }
    if (request.sourceAddress() == null || request.sourceAddress().isEmpty()) {
      throw new MigrationException(Kind.INVALID_ARGUMENT, "replica of " + request.container() + ": the source address is required");
    }
    if (request.imageDigest() == null || !request.imageDigest().matches("[0-9a-f]{64}")) {
      throw new MigrationException(Kind.INVALID_ARGUMENT, "replica of " + request.container() + ": image digest '"
          + request.imageDigest() + "' is not a SHA-256 in hex");
    }
    if (host.hasContainer(request.container())) {
      throw new MigrationException(Kind.ALREADY_EXISTS, "container " + request.container() + " exists on this host: it cannot be its standby");
    }
    Replica replica = replicas.computeIfAbsent(request.container(), n -> new Replica(null));
    synchronized (replica) {
      ReplicaRecord before = replica.record;
      ReplicaRecord after = before == null
          ? new ReplicaRecord(request.container(), request.spec(), request.imageDigest(), request.sourceHost(), request.sourceAddress(),
              request.token(), 0, null, 0)
          : before.withSource(request.spec(), request.imageDigest(), request.sourceHost(), request.sourceAddress(), request.token());
      if (before != null && !before.imageDigest().equals(request.imageDigest()) && before.promotable()) {
        // A layer only makes sense over its own image: the old passes cannot serve the new one.
        removeAllBut(request.container(), -1);
        after = after.withoutPass();
      }
      try {
        AtomicJson.write(recordFile(request.container()), after);
      } catch (RuntimeException e) {
        if (before == null) {
          replicas.remove(request.container(), replica);
        }
        throw e;
      }
      replica.record = after;
      log.info("container={} replica prepared: from host {}, generation {}", request.container(), request.sourceHost(),
          after.generation());
      return after;
    }
  }

  /** The replicas held here, by container name. */
  public List<ReplicaRecord> list() {
    return replicas.values().stream().map(r -> r.record).filter(r -> r != null)
        .sorted(Comparator.comparing(ReplicaRecord::container)).toList();
  }

  public Optional<ReplicaRecord> find(String container) {
    Replica r = replicas.get(container);
    return r == null ? Optional.empty() : Optional.ofNullable(r.record);
  }

  /** DropReplica: deletes the replica and its passes. Idempotent; returns whether one existed. */
  public boolean drop(String container) {
    requireName(container);
    Replica replica = replicas.get(container);
    if (replica == null || replica.record == null) {
      return false;
    }
    synchronized (replica) {
      if (replica.receiving.get()) {
        throw MigrationException.precondition("the replica of " + container + " is receiving a pass: drop it once that ended");
      }
      deleteReplica(container);
      replicas.remove(container, replica);
      log.info("container={} replica dropped", container);
      return true;
    }
  }

  /**
   * PromoteReplica: makes the container of this host, stopped, from the last complete pass; the
   * replica is consumed. Nothing changes when it is refused or fails.
   *
   * @throws MigrationException NOT_FOUND (no replica), FAILED_PRECONDITION (no complete pass, a pass
   *     arriving), ALREADY_EXISTS, INVALID_ARGUMENT (network)
   */
  public ReplicaRecord promote(String container, String address, String mac) {
    requireName(container);
    if (address == null || address.isEmpty() || mac == null || mac.isEmpty()) {
      throw new MigrationException(Kind.INVALID_ARGUMENT, "promote " + container + ": the network identity (address, MAC) is required");
    }
    Replica replica = replicas.get(container);
    if (replica == null || replica.record == null) {
      throw MigrationException.notFound("no replica of " + container + " on this host");
    }
    synchronized (replica) {
      ReplicaRecord r = replica.record;
      if (!r.promotable()) {
        throw MigrationException.precondition("the replica of " + container + " has no complete pass yet: nothing to promote");
      }
      if (replica.receiving.get()) {
        throw MigrationException.precondition("the replica of " + container + " is receiving a pass; promote once it ended");
      }
      if (!host.hasImage(r.imageDigest())) {
        throw MigrationException.precondition("image " + r.imageDigest() + " of " + container + " is not on this host");
      }
      Path tree = tree(container, r.generation());
      host.promote(container, r.spec(), r.imageDigest(), tree, address, mac);
      deleteReplica(container);
      replicas.remove(container, replica);
      log.info("container={} promoted from its replica of generation {} (pass of {})", container, r.generation(), r.lastPassAt());
      return r;
    }
  }

  // ---- data plane ----

  /** The most one pass may carry: the configured limit, and the disk minus its reserve. */
  public long maxIncomingBytes() {
    return Math.max(0, Math.min(settings.maxIncomingBytes(), host.diskFreeBytes() - settings.diskReserveBytes()));
  }

  /**
   * Opens the sink of a ReceiveReplica stream: checks the sender, prepares the pass's directory.
   *
   * @param callerHost the host name of the caller's certificate; empty when it is not a host
   * @throws MigrationException PERMISSION_DENIED (unknown replica, host or token), FAILED_PRECONDITION
   *     (a delta on top of another generation, a pass already arriving), INVALID_ARGUMENT
   */
  public FileReceiver.Sink receive(FileChunk.Header header, Optional<String> callerHost) {
    String container = header.getReplicaContainer();
    Replica replica = replicas.get(container);
    ReplicaRecord r = replica == null ? null : replica.record;
    if (r == null) {
      throw new MigrationException(Kind.PERMISSION_DENIED, "no replica of '" + container + "' is prepared here");
    }
    if (callerHost.isEmpty() || !callerHost.get().equals(r.sourceHost())) {
      log.atWarn().addKeyValue("container", container).addKeyValue("identity", callerHost.orElse("?"))
          .log("refused a replica pass from {}: the source is host {}", callerHost.orElse("a non-host identity"), r.sourceHost());
      throw new MigrationException(Kind.PERMISSION_DENIED, "the replica of " + container + " takes passes from host " + r.sourceHost()
          + " only, not from " + callerHost.orElse("a non-host identity"));
    }
    if (!MessageDigest.isEqual(r.token().getBytes(StandardCharsets.UTF_8), header.getToken().getBytes(StandardCharsets.UTF_8))) {
      throw new MigrationException(Kind.PERMISSION_DENIED, "wrong token for the replica of " + container);
    }
    if (header.getKind() != FileChunk.Header.Kind.KIND_ROOTFS) {
      throw new MigrationException(Kind.INVALID_ARGUMENT, "a replica pass is KIND_ROOTFS, not " + header.getKind());
    }
    if (!replica.receiving.compareAndSet(false, true)) {
      throw MigrationException.precondition("the replica of " + container + " is already receiving a pass");
    }
    try {
      synchronized (replica) {
        return openPass(replica, header);
      }
    } catch (RuntimeException e) {
      replica.receiving.set(false);
      throw e;
    }
  }

  /** Called with the replica locked and marked receiving. */
  private FileReceiver.Sink openPass(Replica replica, FileChunk.Header header) {
    ReplicaRecord r = replica.record;
    String container = r.container();
    if (header.getDelta() && (!r.promotable() || header.getReplicaBase() != r.generation())) {
      throw MigrationException.precondition("the replica of " + container + " is at generation " + r.generation()
          + ", not " + header.getReplicaBase() + ": send a full pass");
    }
    if (!host.hasImage(r.imageDigest())) {
      fetchImage(r);
    }
    long next = r.generation() + 1;
    Path building = dir.resolve(container).resolve(INCOMING + next);
    try {
      SafePaths.removeTree(building);
      if (header.getDelta()) {
        cloneTree(tree(container, r.generation()), building);
        for (String path : header.getDeletedList()) {
          SafePaths.removeUnder(building, path);
        }
      } else {
        Files.createDirectories(building);
      }
    } catch (IOException e) {
      removeQuietly(building);
      throw MigrationException.internal("cannot prepare " + building + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      removeQuietly(building);
      throw e;
    }
    TarStreams.Unpacking unpacking = tar.unpack(building, settings.timeout());
    log.info("container={} receiving a {} pass from {} into generation {}", container, header.getDelta() ? "delta" : "full",
        r.sourceHost(), next);
    return new FileReceiver.Sink() {
      ReplicaRecord committed;

      @Override
      public void write(ByteString data) {
        try {
          data.writeTo(unpacking.input());
        } catch (IOException e) {
          throw MigrationException.internal("cannot unpack into " + building + ": " + e.getMessage() + "; tar: "
              + unpacking.problems(), e);
        }
      }

      @Override
      public void finish(long bytes, String checksum) {
        try {
          unpacking.finish();
          synchronized (replica) {
            committed = commit(replica, building, next);
          }
          log.info("container={} replica generation {} recorded: {} bytes received", container, next, bytes);
        } catch (RuntimeException e) {
          removeQuietly(building);
          throw e;
        } finally {
          replica.receiving.set(false);
        }
      }

      @Override
      public void abort(Throwable cause) {
        unpacking.close();
        removeQuietly(building);
        replica.receiving.set(false);
        log.warn("container={} replica pass to generation {} failed, generation {} kept: {}", container, next,
            replica.record.generation(), cause.toString());
      }

      @Override
      public void describe(ReceiveFilesResponse.Builder response) {
        response.setReplicaGeneration(committed.generation()).setReplicatedAt(timestamp(committed.lastPassAt()));
      }
    };
  }

  /** The commit of a complete pass; called with the replica locked. */
  private ReplicaRecord commit(Replica replica, Path building, long next) {
    ReplicaRecord before = replica.record;
    String container = before.container();
    if (before.generation() != next - 1 || replicas.get(container) != replica) {
      throw MigrationException.precondition("the replica of " + container + " changed while the pass arrived");
    }
    Path tree = tree(container, next);
    try {
      SafePaths.removeTree(tree);
      Files.move(building, tree, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw MigrationException.internal("cannot move " + building + " to " + tree + ": " + e.getMessage(), e);
    }
    ReplicaRecord after = before.withPass(next, clock.instant(), TreeManifest.scan(tree).fileBytes());
    AtomicJson.write(recordFile(container), after);
    replica.record = after;
    removeQuietly(tree(container, before.generation()));
    return after;
  }

  private void fetchImage(ReplicaRecord r) {
    log.info("container={} image {} missing here: fetching it from the primary {}", r.container(), r.imageDigest(), r.sourceAddress());
    try (StandbyHost.ImageStream image = images.fetch(r.sourceAddress(), r.container(), r.token(), r.imageDigest())) {
      host.importImage(r.imageDigest(), image.archive(), image.aliases());
    }
  }

  // ---- files ----

  private Path recordFile(String container) {
    return dir.resolve(container).resolve(RECORD);
  }

  private Path tree(String container, long generation) {
    return dir.resolve(container).resolve(GENERATION + generation);
  }

  /** Deletes every pass directory of the replica except {@code gen-<keep>}. */
  private void removeAllBut(String container, long keep) {
    Path d = dir.resolve(container);
    if (!Files.isDirectory(d)) {
      return;
    }
    try (Stream<Path> entries = Files.list(d)) {
      for (Path p : entries.toList()) {
        String f = p.getFileName().toString();
        if ((f.startsWith(GENERATION) || f.startsWith(INCOMING)) && !f.equals(GENERATION + keep)) {
          log.info("container={} deleting {} (not the replica's last complete pass)", container, f);
          SafePaths.removeTree(p);
        }
      }
    } catch (IOException e) {
      throw MigrationException.internal("cannot clean " + d + ": " + e.getMessage(), e);
    }
  }

  private void deleteReplica(String container) {
    try {
      // The record goes first: a crash halfway leaves directories recover() deletes, never a record without its tree.
      Files.deleteIfExists(recordFile(container));
      SafePaths.removeTree(dir.resolve(container));
    } catch (IOException e) {
      throw MigrationException.internal("cannot delete the replica of " + container + ": " + e.getMessage(), e);
    }
  }

  /** A hard-link clone (directories copied with their attributes, files linked). */
  private void cloneTree(Path from, Path to) {
    CommandResult result = Command.of("cp", "-a", "-l", from.toString(), to.toString()).timeout(settings.rpcTimeout()).run();
    if (!result.succeeded()) {
      throw MigrationException.internal("cannot clone " + from + ": " + result.stderr().strip(), null);
    }
  }

  private static void removeQuietly(Path tree) {
    try {
      SafePaths.removeTree(tree);
    } catch (IOException e) {
      log.warn("cannot delete {}: {}", tree, e.getMessage());
    }
  }

  private static void requireName(String container) {
    String problem = Names.problem("container", container);
    if (problem != null) {
      throw new MigrationException(Kind.INVALID_ARGUMENT, problem);
    }
  }

  static Timestamp timestamp(Instant at) {
    return at == null ? Timestamp.getDefaultInstance()
        : Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build();
  }
}
