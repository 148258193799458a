package io.ferry.migration.replica;

import com.google.protobuf.Timestamp;
import io.ferry.common.Names;
import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.protocol.MigrationException.Kind;
import io.ferry.migration.protocol.MigrationSettings;
import io.ferry.migration.target.SafePaths;
import io.ferry.migration.transfer.DeltaPlan;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The primary side of replication: sends passes of a container's writable layer to its standby
 * hosts and remembers, per standby, the manifest of the last pass that standby confirmed ({@link
 * ConfirmedPass}, under {@code <dir>/<container>/<standby>.json}, written only after the
 * confirmation). A pass is the delta since that manifest when one is kept, else everything; an
 * agent restart keeps deltas going (the manifests are on disk). When the standby refuses a delta
 * (it lost that generation, or recorded a later pass whose confirmation never arrived here) the
 * pass is sent again in full, once.
 *
 * <p>The layer is read while the container runs (no freeze): each pass is what tar read, file by
 * file, not a crash-consistent snapshot. The manifest is taken before the files are read, so a file
 * written during a pass is sent again by the next one.
 *
 * <p>Threading: thread-safe; passes of one container to one standby are serialised.
 */
public final class PrimaryReplicas {

  private static final Logger log = LoggerFactory.getLogger(PrimaryReplicas.class);

  private final Path dir;
  private final PrimaryHost host;
  private final StandbyPeer.Opener peers;
  private final TarStreams tar;
  private final MigrationSettings settings;
  private final Clock clock;
  private final Map<String, Object> locks = new ConcurrentHashMap<>();
  /** Passes running now, by container: the standby host and token an image fetch must come with. */
  private final Map<String, ReplicationRequest> running = new ConcurrentHashMap<>();

  public PrimaryReplicas(Path dir, PrimaryHost host, StandbyPeer.Opener peers, TarStreams tar, MigrationSettings settings, Clock clock) {
    this.dir = dir;
    this.host = host;
    this.peers = peers;
    this.tar = tar;
    this.settings = settings;
    this.clock = clock;
  }

  /**
   * ReplicateOut: one pass to the standby, returning once it confirmed it.
   *
   * @throws MigrationException INVALID_ARGUMENT, NOT_FOUND (no such container), the standby's
   *     refusal or the transfer's failure (the standby then keeps its previous pass)
   */
  public PassResult replicate(ReplicationRequest request) {
    requireName("container", request.container());
    requireName("standby host", request.standbyHost());
    if (request.standbyAddress() == null || request.standbyAddress().isEmpty()) {
      throw new MigrationException(Kind.INVALID_ARGUMENT, "replicate " + request.container() + ": the standby address is required");
    }
    if (request.token() == null || request.token().length() < 16) {
      throw new MigrationException(Kind.INVALID_ARGUMENT, "replicate " + request.container() + ": a token of at least 16 characters is required");
    }
    PrimaryHost.Layer layer = host.layer(request.container());
    String key = request.container() + "/" + request.standbyHost();
    synchronized (locks.computeIfAbsent(key, k -> new Object())) {
      if (running.putIfAbsent(request.container(), request) != null) {
        throw MigrationException.precondition("container " + request.container() + " is already being replicated");
      }
      try (StandbyPeer peer = peers.open(request.standbyAddress())) {
        Optional<ConfirmedPass> confirmed = load(request.container(), request.standbyHost());
        if (confirmed.isPresent()) {
          try {
            return pass(request, layer, peer, confirmed.get(), "");
          } catch (MigrationException e) {
            if (e.kind() != Kind.FAILED_PRECONDITION) {
              throw e;
            }
            log.info("container={} standby {} refused the delta ({}): sending a full pass", request.container(),
                request.standbyHost(), e.getMessage());
            return pass(request, layer, peer, null, "the standby refused a delta: " + e.getMessage());
          }
        }
        return pass(request, layer, peer, null, "no pass confirmed by " + request.standbyHost() + " is known here");
      } finally {
        running.remove(request.container(), request);
      }
    }
  }

  /** @param since the pass to send the delta from; null for a full pass */
  private PassResult pass(ReplicationRequest request, PrimaryHost.Layer layer, StandbyPeer peer, ConfirmedPass since, String why) {
    TreeManifest now = TreeManifest.scan(layer.upperDir());
    DeltaPlan plan = since == null ? DeltaPlan.everything(now) : DeltaPlan.between(since.manifest(), now);
    boolean full = since == null;
    FileChunk.Header header = FileChunk.Header.newBuilder()
        .setKind(FileChunk.Header.Kind.KIND_ROOTFS)
        .setReplicaContainer(request.container())
        .setToken(request.token())
        .setDelta(!full)
        .setReplicaBase(full ? 0 : since.generation())
        .addAllDeleted(full ? List.of() : plan.deleted())
        .build();
    AtomicLong sent = new AtomicLong();
    ReceiveFilesResponse answer;
    // Exactly the manifest's entries, full pass or delta: what the next delta is computed from.
    try (TarStreams.Packing packing = tar.pack(layer.upperDir(), Optional.of(plan.toPack(full)), true, settings.timeout())) {
      answer = peer.send(header, packing.output(), sent::addAndGet);
      packing.finish();
    }
    save(new ConfirmedPass(request.container(), request.standbyHost(), answer.getReplicaGeneration(), now));
    PassResult result = new PassResult(instant(answer.getReplicatedAt()), answer.getBytes(), full ? now.entries().size() : plan.changed().size(),
        full ? 0 : plan.deleted().size(), full, answer.getReplicaGeneration(), why);
    log.info("container={} {} pass to {} confirmed: generation {}, {} bytes, {} entries, {} deleted", request.container(),
        full ? "full" : "delta", request.standbyHost(), result.generation(), result.bytes(), result.entries(), result.deleted());
    return result;
  }

  /**
   * Whether a standby may fetch this image now: a pass of {@code container} to {@code callerHost}
   * with {@code token} is running, and the container uses that image.
   *
   * @throws MigrationException PERMISSION_DENIED otherwise
   */
  public void authorizeImageFetch(String container, String token, Optional<String> callerHost, String digest) {
    ReplicationRequest pass = running.get(container);
    if (pass == null || callerHost.isEmpty() || !pass.standbyHost().equals(callerHost.get())
        || !MessageDigest.isEqual(pass.token().getBytes(StandardCharsets.UTF_8), String.valueOf(token).getBytes(StandardCharsets.UTF_8))) {
      throw new MigrationException(Kind.PERMISSION_DENIED, "no pass of " + container + " to " + callerHost.orElse("a non-host identity")
          + " with that token is running here");
    }
    if (!host.layer(container).imageDigest().equals(digest)) {
      throw new MigrationException(Kind.PERMISSION_DENIED, "container " + container + " does not use image " + digest);
    }
  }

  /**
   * DropReplica on the primary: forgets what was sent to {@code standbyHost} (every standby when
   * empty), so that the next pass there is full. Idempotent; returns whether anything was kept.
   */
  public boolean drop(String container, String standbyHost) {
    requireName("container", container);
    Path d = dir.resolve(container);
    if (!Files.isDirectory(d)) {
      return false;
    }
    try {
      if (standbyHost == null || standbyHost.isEmpty()) {
        SafePaths.removeTree(d);
        return true;
      }
      requireName("standby host", standbyHost);
      return Files.deleteIfExists(file(container, standbyHost));
    } catch (IOException e) {
      throw MigrationException.internal("cannot forget the replicas of " + container + ": " + e.getMessage(), e);
    }
  }

  private Optional<ConfirmedPass> load(String container, String standbyHost) {
    try {
      return AtomicJson.read(file(container, standbyHost), ConfirmedPass.class);
    } catch (MigrationException e) {
      log.warn("container={} the record of the last pass to {} is unreadable, sending a full pass: {}", container, standbyHost,
          e.getMessage());
      return Optional.empty();
    }
  }

  private void save(ConfirmedPass pass) {
    AtomicJson.write(file(pass.container(), pass.standbyHost()), pass);
  }

  private Path file(String container, String standbyHost) {
    return dir.resolve(container).resolve(standbyHost + ".json");
  }

  /** The names of the containers with records here (for cleanup by the agent). */
  public List<String> containers() {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw MigrationException.internal("cannot list " + dir + ": " + e.getMessage(), e);
    }
  }

  private static void requireName(String what, String name) {
    String problem = Names.problem(what, name);
    if (problem != null) {
      throw new MigrationException(Kind.INVALID_ARGUMENT, problem);
    }
  }

  private Instant instant(Timestamp t) {
    return t.getSeconds() == 0 && t.getNanos() == 0 ? clock.instant() : Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }
}
