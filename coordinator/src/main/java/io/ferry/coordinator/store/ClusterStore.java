package io.ferry.coordinator.store;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.coordinator.placement.Resources;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongPredicate;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.api.transaction.OperationType;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's desired state in ZooKeeper, mirrored in memory on every coordinator.
 *
 * <p>Reads ({@link #container}, {@link #containers}, {@link #operation}, ...) come from the mirror:
 * they are cheap and may lag the ensemble by the time a watch takes to fire (milliseconds). Writes
 * go to ZooKeeper, are conditional on the version the caller read where two writers could race,
 * and are applied to the mirror as soon as ZooKeeper confirms them, so a coordinator reads its own
 * writes (and does not read them again when their change events arrive: see {@link MirrorFeed}).
 * Every applied change is told to the {@link StoreListener}s once.
 *
 * <p>Failure modes: {@link StoreUnavailableException} when ZooKeeper fails; {@link
 * ConflictException} when a conditional write lost against another writer (nothing written).
 */
public final class ClusterStore implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ClusterStore.class);
  private static final long RESERVE_WAIT_SECONDS = 30;

  private final CuratorFramework zk;
  private final ClusterPaths paths;
  private final Reservations reservations;
  private final ObjectMapper json = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private final List<StoreListener> listeners = new CopyOnWriteArrayList<>();
  private final Directory<ContainerRecord> containers = new Directory<>(ContainerRecord.class, StoreListener::containerChanged);
  private final Directory<OperationRecord> operations = new Directory<>(OperationRecord.class, StoreListener::operationChanged);
  private final Directory<Reservations.HostAllocation> hosts =
      new Directory<>(Reservations.HostAllocation.class, StoreListener::hostAllocationChanged);
  /** Live coordinators' API addresses (plain UTF-8), which no listener hears about. */
  private final Directory<String> coordinators =
      new Directory<>(String.class, data -> new String(data, StandardCharsets.UTF_8), (l, name, before, after) -> {});
  /** The mirrored directories by their path: where a node's change or deletion goes. */
  private final Map<String, Directory<?>> directories;
  /** One reservation at a time per host from this coordinator (see {@link #launch}). */
  private final Map<String, ReentrantLock> reserving = new ConcurrentHashMap<>();
  /**
   * The zxid of this coordinator's last write of each node, applied to the mirror as ZooKeeper
   * confirmed it: the change event of that write needs no read (see {@link MirrorFeed}).
   */
  private final Map<String, Long> ownWrites = new ConcurrentHashMap<>();
  private volatile MirrorFeed feed;

  /** Lost a conditional write: someone changed the node since it was read. Nothing was written. */
  public static final class ConflictException extends RuntimeException {
    public ConflictException(String message) {
      super(message);
    }
  }

  public ClusterStore(CuratorFramework zk, ClusterPaths paths) {
    this.zk = zk;
    this.paths = paths;
    this.reservations = new Reservations(zk, paths);
    this.directories = Map.of(paths.containers(), containers, paths.operations(), operations, paths.hosts(), hosts,
        paths.coordinators(), coordinators);
  }

  /** Creates the tree and loads the mirror, waiting at most {@code timeoutMillis} for the load. */
  public ClusterStore start(long timeoutMillis) throws InterruptedException {
    for (String parent : List.of(paths.hosts(), paths.placements(), paths.containers(), paths.operations(), paths.coordinators(), paths.addresses())) {
      try {
        zk.create().creatingParentsIfNeeded().forPath(parent);
      } catch (KeeperException.NodeExistsException e) {
        // There already.
      } catch (Exception e) {
        throw new StoreUnavailableException("cannot create " + parent, e);
      }
    }
    // The subtrees the mirror holds: placements/ (and anything else under the root) is neither
    // watched nor read.
    List<String> mirrored = List.of(paths.hosts(), paths.containers(), paths.operations(), paths.coordinators());
    feed = new MirrorFeed(zk, mirrored, new Feed());
    feed.start(timeoutMillis);
    log.info("cluster state loaded: {} containers, {} operations, {} hosts", containers.entries.size(),
        operations.entries.size(), hosts.entries.size());
    return this;
  }

  public void addListener(StoreListener listener) {
    listeners.add(listener);
  }

  public void removeListener(StoreListener listener) {
    listeners.remove(listener);
  }

  public Reservations reservations() {
    return reservations;
  }

  public ClusterPaths paths() {
    return paths;
  }

  // ---- reads (from the mirror) ----

  public Optional<Versioned<ContainerRecord>> container(String name) {
    return Optional.ofNullable(containers.entries.get(name));
  }

  public Collection<Versioned<ContainerRecord>> containers() {
    return containers.entries.values();
  }

  public Optional<OperationRecord> operation(String id) {
    return Optional.ofNullable(operations.entries.get(id)).map(Versioned::value);
  }

  /**
   * The operation, from the mirror or, when the mirror has not seen it yet (it was just created,
   * perhaps by another coordinator), from ZooKeeper itself after a sync.
   */
  public Optional<OperationRecord> operationNow(String id) {
    Optional<OperationRecord> mirrored = operation(id);
    if (mirrored.isPresent()) {
      return mirrored;
    }
    readNow(paths.operation(id));
    return operation(id);
  }

  /** Like {@link #operationNow}, for a container's record. */
  public Optional<Versioned<ContainerRecord>> containerNow(String name) {
    Optional<Versioned<ContainerRecord>> mirrored = container(name);
    if (mirrored.isPresent()) {
      return mirrored;
    }
    readNow(paths.container(name));
    return container(name);
  }

  /** Brings one node into the mirror straight from ZooKeeper (after a sync), if it exists. */
  private void readNow(String path) {
    try {
      java.util.concurrent.CompletableFuture<Void> synced = new java.util.concurrent.CompletableFuture<>();
      zk.sync().inBackground((client, event) -> synced.complete(null)).forPath(path);
      synced.get(10, TimeUnit.SECONDS);
      Stat stat = new Stat();
      byte[] data = zk.getData().storingStatIn(stat).forPath(path);
      apply(path, data, stat);
      own(path, stat.getMzxid());
    } catch (KeeperException.NoNodeException e) {
      // Not there: the caller reports it missing.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreUnavailableException("interrupted reading " + path, e);
    } catch (Exception e) {
      throw new StoreUnavailableException("cannot read " + path, e);
    }
  }

  public List<OperationRecord> operations() {
    List<OperationRecord> all = new ArrayList<>();
    operations.entries.values().forEach(v -> all.add(v.value()));
    return all;
  }

  public Optional<Reservations.HostAllocation> hostAllocation(String host) {
    return Optional.ofNullable(hosts.entries.get(host)).map(Versioned::value);
  }

  public Map<String, Reservations.HostAllocation> hostAllocations() {
    Map<String, Reservations.HostAllocation> all = new java.util.TreeMap<>();
    hosts.entries.forEach((k, v) -> all.put(k, v.value()));
    return all;
  }

  /** The API address a live coordinator announced, by its id. */
  public Optional<String> coordinatorAddress(String coordinatorId) {
    return Optional.ofNullable(coordinators.entries.get(coordinatorId)).map(Versioned::value);
  }

  // ---- writes ----

  /**
   * Places a new container: its placement and reservation on {@code record.host()}, its record and
   * its launch operation, in one transaction. The reservation writes against the host's allocation
   * as mirrored here (see {@link Reservations#reserve}); once it is written, the host's allocation,
   * the record and the operation are in the mirror before this returns, like every other write.
   *
   * <p>Launches on one host from this coordinator reserve one at a time, each after the previous
   * one's allocation reached the mirror: concurrent launches on a host would otherwise all write
   * against the same version, and all but one would lose and go round again. Other coordinators'
   * writes are still caught by the conditional write. Waits at most {@value #RESERVE_WAIT_SECONDS}
   * s for its turn.
   */
  public Reservations.Outcome launch(ContainerRecord record, OperationRecord launch) {
    return launchOnce(record, launch);
  }

  /** What {@link #launch(ContainerRecord, OperationRecord, AddressSource)} did. */
  public record Launch(Reservations.Outcome outcome, ContainerRecord record) {}

  /** How many addresses one launch tries before giving up on a mirror that keeps lagging. */
  static final int MAX_ADDRESS_ATTEMPTS = 16;

  /**
   * As {@link #launch(ContainerRecord, OperationRecord)}, the container getting an address from
   * {@code addresses}: its record holds it, and its unique index node ({@link ClusterPaths#address})
   * is created in the same transaction, so no two containers ever hold one address. When the index
   * node exists already (this coordinator's view lagged), the held addresses are read from
   * ZooKeeper and another address is taken, at most {@value #MAX_ADDRESS_ATTEMPTS} times.
   *
   * @return the outcome, and the record as written (with its address) when reserved
   * @throws StoreUnavailableException when ZooKeeper fails or no address could be written
   */
  public Launch launch(ContainerRecord record, OperationRecord launch, AddressSource addresses) {
    java.util.Set<String> taken = new java.util.HashSet<>();
    for (int attempt = 0; attempt < MAX_ADDRESS_ATTEMPTS; attempt++) {
      ClusterAddress address = addresses.take(taken);
      try {
        ContainerRecord withAddress = record.withNetwork(address);
        return new Launch(launchOnce(withAddress, launch), withAddress);
      } catch (Reservations.NodeTakenException e) {
        if (!e.path().equals(paths.address(address.address()))) {
          throw new StoreUnavailableException("cannot launch " + record.name() + ": " + e.getMessage(), e);
        }
        taken.add(address.address());
        taken.addAll(heldAddresses());
        log.info(
            "launch of {}: address {} is held already (this coordinator's view lagged); taking another, avoiding the {} held",
            record.name(), address.address(), taken.size());
      } finally {
        addresses.giveBack(address);
      }
    }
    throw new StoreUnavailableException(
        "cannot launch " + record.name() + ": " + MAX_ADDRESS_ATTEMPTS + " addresses in a row were held already: " + taken);
  }

  /** Every address with an index node, read from ZooKeeper (only after a conflict: it can be large). */
  private List<String> heldAddresses() {
    try {
      return zk.getChildren().forPath(paths.addresses());
    } catch (Exception e) {
      throw new StoreUnavailableException("cannot read " + paths.addresses(), e);
    }
  }

  private Reservations.Outcome launchOnce(ContainerRecord record, OperationRecord launch) {
    ReentrantLock turn = reserving.computeIfAbsent(record.host(), h -> new ReentrantLock());
    try {
      if (!turn.tryLock(RESERVE_WAIT_SECONDS, TimeUnit.SECONDS)) {
        throw new StoreUnavailableException("host " + record.host() + ": no turn to reserve within " + RESERVE_WAIT_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreUnavailableException("interrupted waiting to reserve on " + record.host(), e);
    }
    try {
      byte[] container = write(record);
      byte[] operation = write(launch);
      List<CuratorOp> alongside = new ArrayList<>();
      alongside.add(zk.transactionOp().create().forPath(paths.container(record.name()), container));
      alongside.add(zk.transactionOp().create().forPath(paths.operation(launch.id()), operation));
      if (record.network() != null) {
        alongside.add(zk.transactionOp().create().forPath(paths.address(record.network().address()), record.name().getBytes(StandardCharsets.UTF_8)));
      }
      Optional<String> group = record.antiAffinityGroup().isEmpty() ? Optional.empty() : Optional.of(record.antiAffinityGroup());
      Reservations.Outcome outcome =
          reservations.reserve(record.name(), record.host(), record.reserved(), group, alongside, () -> Optional.ofNullable(hosts.entries.get(record.host())));
      if (outcome instanceof Reservations.Outcome.Reserved reserved) {
        // One multi-op transaction has one zxid: the nodes it created have it as their czxid.
        Versioned<Reservations.HostAllocation> host = reserved.hostAfter();
        apply(paths.host(record.host()), null, host.value(), stat(host.czxid(), host.version()));
        apply(paths.container(record.name()), container, record, stat(reserved.zxid(), 0));
        apply(paths.operation(launch.id()), operation, launch, stat(reserved.zxid(), 0));
        own(paths.host(record.host()), reserved.zxid());
        own(paths.container(record.name()), reserved.zxid());
        own(paths.operation(launch.id()), reserved.zxid());
      }
      return outcome;
    } catch (StoreUnavailableException | Reservations.NodeTakenException e) {
      throw e;
    } catch (Exception e) {
      throw new StoreUnavailableException("cannot launch " + record.name(), e);
    } finally {
      turn.unlock();
    }
  }

  /**
   * Changes a container's spec and what it reserves on its host in one write, the record
   * conditional on {@code expectedVersion}: a growth must fit the host.
   *
   * @return {@link Reservations.Outcome.Reserved} or {@link Reservations.Outcome.Insufficient}
   *     (nothing written)
   * @throws ConflictException when the record changed meanwhile
   */
  public Reservations.Outcome resize(ContainerRecord updated, int expectedVersion) {
    try {
      Reservations.Outcome outcome = reservations.resize(updated.name(), updated.reserved(), List.of(setContainer(updated, expectedVersion)));
      if (outcome instanceof Reservations.Outcome.Reserved) {
        // Like every other write, the caller reads it back at once (the API answers with it).
        refresh(paths.container(updated.name()));
      }
      return outcome;
    } catch (StoreUnavailableException e) {
      boolean changed = container(updated.name()).map(v -> v.version() != expectedVersion).orElse(true);
      if (changed) {
        throw new ConflictException("resize " + updated.name() + ": changed by someone else meanwhile");
      }
      throw e;
    }
  }

  private static Stat stat(long czxid, int version) {
    Stat stat = new Stat();
    stat.setCzxid(czxid);
    stat.setVersion(version);
    return stat;
  }

  /** Replaces a container's record if it is still at {@code expectedVersion}. */
  public void updateContainer(ContainerRecord record, int expectedVersion) {
    commit("update " + record.name(), List.of(setContainer(record, expectedVersion)));
  }

  /**
   * Starts an operation on an existing container: the operation's record and the container's new
   * record (naming the operation), if the container is still at {@code expectedVersion}.
   */
  public void startOperation(OperationRecord operation, ContainerRecord container, int expectedVersion) {
    try {
      commit(
          operation.kind().label() + " " + container.name(),
          List.of(zk.transactionOp().create().forPath(paths.operation(operation.id()), write(operation)), setContainer(container, expectedVersion)));
    } catch (StoreUnavailableException | ConflictException e) {
      throw e;
    } catch (Exception e) {
      throw new StoreUnavailableException("cannot record operation " + operation.id(), e);
    }
  }

  /** Records a new operation that no container carries (a host's evacuation or restore). */
  public void createOperation(OperationRecord operation) {
    try {
      commit("operation " + operation.id(), List.of(zk.transactionOp().create().forPath(paths.operation(operation.id()), write(operation))));
    } catch (StoreUnavailableException | ConflictException e) {
      throw e;
    } catch (Exception e) {
      throw new StoreUnavailableException("cannot record operation " + operation.id(), e);
    }
  }

  /** Records an operation's progress or end (only the leader writes operations). */
  public void updateOperation(OperationRecord operation) {
    try {
      commit("operation " + operation.id(), List.of(zk.transactionOp().setData().forPath(paths.operation(operation.id()), write(operation))));
    } catch (StoreUnavailableException | ConflictException e) {
      throw e;
    } catch (Exception e) {
      throw new StoreUnavailableException("cannot record operation " + operation.id(), e);
    }
  }

  /** Ends an operation and updates its container in one write (container at {@code expectedVersion}). */
  public void finish(OperationRecord operation, ContainerRecord container, int expectedVersion) {
    try {
      commit(
          "finish " + operation.id(),
          List.of(zk.transactionOp().setData().forPath(paths.operation(operation.id()), write(operation)), setContainer(container, expectedVersion)));
    } catch (StoreUnavailableException | ConflictException e) {
      throw e;
    } catch (Exception e) {
      throw new StoreUnavailableException("cannot record operation " + operation.id(), e);
    }
  }

  /**
   * Forgets a deleted container: its record goes, its placement and reservation are given back, its
   * address's index node is deleted (the address is free again), and {@code operation} is recorded,
   * in one write. False when it was already gone.
   */
  public boolean forget(String container, OperationRecord operation) {
    try {
      List<CuratorOp> alongside = new ArrayList<>();
      alongside.add(zk.transactionOp().delete().forPath(paths.container(container)));
      alongside.add(zk.transactionOp().setData().forPath(paths.operation(operation.id()), write(operation)));
      Optional<ClusterAddress> address = containerNow(container).flatMap(v -> v.value().clusterAddress());
      if (address.isPresent() && zk.checkExists().forPath(paths.address(address.get().address())) != null) {
        alongside.add(zk.transactionOp().delete().forPath(paths.address(address.get().address())));
      }
      return reservations.release(container, alongside);
    } catch (StoreUnavailableException e) {
      throw e;
    } catch (Exception e) {
      throw new StoreUnavailableException("cannot forget " + container, e);
    }
  }

  // ---- migrations ----

  /**
   * Reserves room on {@code target} for a migrating container, beside its placement on its source
   * host (see {@link Reservations#incomingKey}), atomically with {@code operation}'s new record.
   * Anti-affinity is checked on the target as for a launch.
   *
   * @return {@link Reservations.Outcome.Reserved}, {@link Reservations.Outcome.AlreadyPlaced} when
   *     the incoming reservation exists already (a resumed migration), or {@link
   *     Reservations.Outcome.Insufficient} (nothing written)
   */
  public Reservations.Outcome reserveIncoming(ContainerRecord container, String target, OperationRecord operation) {
    try {
      byte[] op = write(operation);
      Optional<String> group = container.antiAffinityGroup().isEmpty() ? Optional.empty() : Optional.of(container.antiAffinityGroup());
      Reservations.Outcome outcome =
          reservations.reserve(
              Reservations.incomingKey(container.name()),
              target,
              container.reserved(),
              group,
              List.of(zk.transactionOp().setData().forPath(paths.operation(operation.id()), op)),
              () -> Optional.ofNullable(hosts.entries.get(target)));
      if (outcome instanceof Reservations.Outcome.Reserved reserved) {
        Versioned<Reservations.HostAllocation> host = reserved.hostAfter();
        apply(paths.host(target), null, host.value(), stat(host.czxid(), host.version()));
        own(paths.host(target), reserved.zxid());
        refresh(paths.operation(operation.id()));
      }
      return outcome;
    } catch (StoreUnavailableException e) {
      throw e;
    } catch (Exception e) {
      throw new StoreUnavailableException("cannot reserve room for " + container.name() + " on " + target, e);
    }
  }

  /**
   * Commits a migration in the store: the container is placed on {@code target} (its record names
   * it, its source host gets its reservation back) and {@code ended} is recorded, in one write.
   * Idempotent. The container's record is rewritten from what ZooKeeper holds on each attempt, so
   * a concurrent change of its observed state cannot make the commit fail.
   *
   * @param observed the container as the target reports it, or empty
   */
  public void commitMove(String name, String target, OperationRecord ended, Optional<byte[]> observed, long now) {
    try {
      byte[] op = write(ended);
      boolean moved =
          reservations.moveIncoming(
              name,
              target,
              () -> {
                try {
                  Stat stat = new Stat();
                  ContainerRecord current = json.readValue(zk.getData().storingStatIn(stat).forPath(paths.container(name)), ContainerRecord.class);
                  ContainerRecord next = current.withHost(target, now).withOperation("", now);
                  if (observed.isPresent()) {
                    next = next.withObserved(observed.get(), now);
                  }
                  return List.of(
                      zk.transactionOp().setData().withVersion(stat.getVersion()).forPath(paths.container(name), write(next)),
                      zk.transactionOp().setData().forPath(paths.operation(ended.id()), op));
                } catch (Exception e) {
                  throw new StoreUnavailableException("cannot read " + name + " to move it", e);
                }
              });
      if (!moved) {
        throw new StoreUnavailableException("cannot move " + name + " to " + target + ": it has no incoming reservation there");
      }
      refresh(paths.container(name));
      refresh(paths.operation(ended.id()));
      refresh(paths.host(target));
    } catch (StoreUnavailableException e) {
      throw e;
    } catch (Exception e) {
      throw new StoreUnavailableException("cannot commit the move of " + name, e);
    }
  }

  /**
   * Gives back a migration's incoming reservation (its abort) and records {@code ended}, clearing
   * the container's operation, in one write. Idempotent: without a reservation left, only the
   * records are written.
   */
  public void abortMove(String name, OperationRecord ended, long now) {
    for (int attempt = 0; ; attempt++) {
      Optional<Versioned<ContainerRecord>> current = containerNow(name);
      List<CuratorOp> alongside = new ArrayList<>();
      try {
        alongside.add(zk.transactionOp().setData().forPath(paths.operation(ended.id()), write(ended)));
      } catch (Exception e) {
        throw new StoreUnavailableException("cannot encode operation " + ended.id(), e);
      }
      current.ifPresent(c -> alongside.add(setContainer(c.value().withOperation("", now), c.version())));
      try {
        if (!reservations.release(Reservations.incomingKey(name), alongside)) {
          commit("abort the move of " + name, alongside);
        }
        refresh(paths.container(name));
        refresh(paths.operation(ended.id()));
        return;
      } catch (StoreUnavailableException | ConflictException e) {
        if (attempt >= 20) {
          throw e;
        }
      }
    }
  }

  /** Reads one node from ZooKeeper into the mirror (after a write whose result is not at hand). */
  private void refresh(String path) {
    try {
      Stat stat = new Stat();
      byte[] data = zk.getData().storingStatIn(stat).forPath(path);
      apply(path, data, stat);
      own(path, stat.getMzxid());
    } catch (KeeperException.NoNodeException e) {
      // Gone: the cache will say so.
    } catch (Exception e) {
      log.warn("cannot re-read {}: {}", path, e.toString());
    }
  }

  /** Deletes a finished operation's record. */
  public void deleteOperation(String id) {
    try {
      zk.delete().forPath(paths.operation(id));
    } catch (KeeperException.NoNodeException e) {
      // Gone already.
    } catch (Exception e) {
      throw new StoreUnavailableException("cannot delete operation " + id, e);
    }
  }

  private CuratorOp setContainer(ContainerRecord record, int expectedVersion) {
    try {
      return zk.transactionOp().setData().withVersion(expectedVersion).forPath(paths.container(record.name()), write(record));
    } catch (Exception e) {
      throw new StoreUnavailableException("cannot encode " + record.name(), e);
    }
  }

  /** Runs a transaction and applies what it wrote to the mirror. */
  private void commit(String what, List<CuratorOp> ops) {
    List<CuratorTransactionResult> results;
    try {
      results = zk.transaction().forOperations(ops);
    } catch (KeeperException.BadVersionException | KeeperException.NoNodeException | KeeperException.NodeExistsException e) {
      throw new ConflictException(what + ": changed by someone else meanwhile (" + e.code() + ")");
    } catch (Exception e) {
      throw new StoreUnavailableException("cannot " + what, e);
    }
    for (int i = 0; i < results.size(); i++) {
      CuratorTransactionResult result = results.get(i);
      Stat stat = result.getResultStat();
      if (result.getType() == OperationType.SET_DATA && stat != null) {
        if (ops.get(i).get().toRequestRecord() instanceof org.apache.zookeeper.proto.SetDataRequest set) {
          apply(result.getForPath(), set.getData(), stat);
          own(result.getForPath(), stat.getMzxid());
        }
      }
    }
  }

  // ---- the mirror ----

  /** What the feed tells the mirror. */
  private final class Feed implements MirrorFeed.Sink {
    @Override
    public void changed(String path, byte[] data, Stat stat) {
      try {
        apply(path, data, stat);
      } catch (RuntimeException e) {
        log.warn("cannot apply the change of {}: {}", path, e.toString());
      }
    }

    @Override
    public void deleted(String path, long zxid) {
      ownWrites.remove(path);
      applyGone(path, createdBefore -> zxid == WatchedEvent.NO_ZXID || createdBefore < zxid);
    }

    @Override
    public boolean holds(String path, long zxid) {
      Long mine = ownWrites.get(path);
      if (mine == null) {
        return false;
      }
      if (mine <= zxid) {
        ownWrites.remove(path, mine);
      }
      return mine == zxid;
    }

    @Override
    public void listed(String parent, Set<String> children, long pzxid) {
      Directory<?> directory = directories.get(parent);
      if (directory == null) {
        return;
      }
      List<String> absent = directory.entries.keySet().stream().filter(k -> !children.contains(k)).toList();
      for (String name : absent) {
        applyGone(parent + "/" + name, createdAt -> createdAt <= pzxid);
      }
    }
  }

  /**
   * Notes that the mirror holds {@code path} as transaction {@code zxid} left it: a write of this
   * coordinator's, applied as ZooKeeper confirmed it, or a read made right after one.
   */
  private void own(String path, long zxid) {
    ownWrites.put(path, zxid);
  }

  /**
   * Removes the node at {@code path} from the mirror if its entry's creation zxid passes {@code
   * stale} (a node created again after the deletion stays), telling the listeners.
   */
  private synchronized void applyGone(String path, LongPredicate stale) {
    Directory<?> directory = directories.get(parentOf(path));
    if (directory != null) {
      directory.gone(nameOf(path), stale);
    }
  }

  private void apply(String path, byte[] data, Stat stat) {
    apply(path, data, null, stat);
  }

  /**
   * Applies a node's state to the mirror if it is newer than the mirror's.
   *
   * @param decoded the node's value when the caller has it (its own write: no need to parse
   *     {@code data} again), or null
   */
  private synchronized void apply(String path, byte[] data, Object decoded, Stat stat) {
    Directory<?> directory = directories.get(parentOf(path));
    if (directory != null) {
      directory.apply(nameOf(path), data, decoded, stat);
    }
  }

  private static String parentOf(String path) {
    return path.substring(0, Math.max(0, path.lastIndexOf('/')));
  }

  private static String nameOf(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** How a mirrored node's data becomes its value. */
  @FunctionalInterface
  private interface Decoder<T> {
    T decode(byte[] data) throws java.io.IOException;
  }

  /** Tells one listener of a change in a directory ({@code before} or {@code after} null: none). */
  @FunctionalInterface
  private interface Announcer<T> {
    void announce(StoreListener listener, String name, T before, T after);
  }

  /**
   * One mirrored directory of the tree: its nodes' values by name, each with the creation zxid and
   * version it was read at, so that only a later state replaces it (events and reads can arrive in
   * any order). Changed only under the store's lock ({@link #apply}, {@link #applyGone}); read
   * without it.
   */
  private final class Directory<T> {
    final Map<String, Versioned<T>> entries = new ConcurrentHashMap<>();
    private final Class<T> type;
    private final Decoder<T> decoder;
    private final Announcer<T> announcer;

    /** A directory of JSON records. */
    Directory(Class<T> type, Announcer<T> announcer) {
      this(type, data -> json.readValue(data, type), announcer);
    }

    Directory(Class<T> type, Decoder<T> decoder, Announcer<T> announcer) {
      this.type = type;
      this.decoder = decoder;
      this.announcer = announcer;
    }

    /** Takes the node's state unless the mirror has a later one; an empty or unreadable node is ignored. */
    void apply(String name, byte[] data, Object decoded, Stat stat) {
      T value;
      if (type.isInstance(decoded)) {
        value = type.cast(decoded);
      } else {
        if (data == null || data.length == 0) {
          return;
        }
        try {
          value = decoder.decode(data);
        } catch (java.io.IOException e) {
          log.warn("ignoring unreadable {} {}: {}", type.getSimpleName(), name, e.getMessage());
          return;
        }
      }
      Versioned<T> current = entries.get(name);
      Versioned<T> next = new Versioned<>(value, stat.getCzxid(), stat.getVersion());
      if (current == null || next.newerThan(current)) {
        entries.put(name, next);
        T before = current == null ? null : current.value();
        listeners.forEach(l -> announcer.announce(l, name, before, value));
      }
    }

    /** Drops the node if its entry's creation zxid passes {@code stale} (a node created again after the deletion stays). */
    void gone(String name, LongPredicate stale) {
      Versioned<T> current = entries.get(name);
      if (current != null && stale.test(current.czxid()) && entries.remove(name, current)) {
        listeners.forEach(l -> announcer.announce(l, name, current.value(), null));
      }
    }
  }

  private byte[] write(Object value) {
    try {
      return json.writeValueAsBytes(value);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("cannot encode " + value.getClass().getSimpleName(), e);
    }
  }

  /** A host's capacity as placement sees it, for hosts registered through membership. */
  public void registerHost(String host, Resources capacity) {
    reservations.registerHost(host, capacity);
  }

  @Override
  public void close() {
    MirrorFeed f = feed;
    if (f != null) {
      f.close();
    }
  }
}
