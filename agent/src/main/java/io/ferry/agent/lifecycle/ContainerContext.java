package io.ferry.agent.lifecycle;

import io.ferry.agent.AgentException;
import io.ferry.agent.images.ImageStore;
import io.ferry.agent.network.AssignedIdentity;
import io.ferry.agent.network.Ipv4Address;
import io.ferry.agent.network.MacAddress;
import io.ferry.agent.network.NetworkAttachment;
import io.ferry.agent.network.NetworkManager;
import io.ferry.agent.runtime.ContainerRuntime;
import io.ferry.agent.runtime.RuntimeSpec;
import io.ferry.agent.runtime.RuntimeStatus;
import io.ferry.agent.storage.ContainerPaths;
import io.ferry.agent.storage.VolumeStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * What the lifecycle's services share: the host's adapters, the records (persisted, with an
 * in-memory copy so listing never touches disk), the per-container locks and the checked status
 * moves. Package-private: callers use {@link ContainerManager} and {@link SnapshotManager}.
 */
final class ContainerContext {

  final ContainerRuntime runtime;
  final ImageStore images;
  final VolumeStore storage;
  final NetworkManager network;
  final ContainerRepository repository;
  final ContainerLocks locks = new ContainerLocks();
  final OperationObserver observer;
  final Clock clock;
  final Duration stopTimeout;
  /** Runs independent setup steps of one operation side by side (network next to rootfs). */
  final ExecutorService setupPool =
      Executors.newFixedThreadPool(
          4,
          r -> {
            Thread t = new Thread(r, "container-setup");
            t.setDaemon(true);
            return t;
          });
  private final Map<String, ContainerRecord> records = new ConcurrentHashMap<>();
  /** Host pids of live containers' inits, for {@link ExitWatcher}; set on start and recovery. */
  final Map<String, Integer> initPids = new ConcurrentHashMap<>();

  ContainerContext(
      ContainerRuntime runtime,
      ImageStore images,
      VolumeStore storage,
      NetworkManager network,
      ContainerRepository repository,
      OperationObserver observer,
      Clock clock,
      Duration stopTimeout) {
    this.runtime = runtime;
    this.images = images;
    this.storage = storage;
    this.network = network;
    this.repository = repository;
    this.observer = observer;
    this.clock = clock;
    this.stopTimeout = stopTimeout;
  }

  ContainerRecord require(String name) {
    ContainerRecord record = records.get(name);
    if (record == null) {
      throw AgentException.notFound("container " + name + " does not exist");
    }
    return record;
  }

  Optional<ContainerRecord> find(String name) {
    return Optional.ofNullable(records.get(name));
  }

  Collection<ContainerRecord> all() {
    return records.values();
  }

  /** Persists a record (new or changed) and makes it visible. */
  ContainerRecord save(ContainerRecord record) {
    repository.save(record);
    records.put(record.name(), record);
    return record;
  }

  void forget(String name) {
    repository.delete(name);
    records.remove(name);
    initPids.remove(name);
  }

  /**
   * A checked status move. Settled statuses are persisted before they are visible; transitional
   * ones (STARTING, STOPPING) are kept in memory only: after a crash in the middle of an operation
   * recovery sets the status from runc's truth, so writing them would cost a disk sync per
   * operation and tell recovery nothing.
   */
  ContainerRecord move(ContainerRecord record, ContainerStatus to, String detail) {
    ContainerLifecycle.check(record.name(), record.status(), to, detail);
    ContainerRecord moved = record.withStatus(to, detail, clock.instant());
    if (to == ContainerStatus.STARTING || to == ContainerStatus.STOPPING) {
      records.put(moved.name(), moved);
      return moved;
    }
    return save(moved);
  }

  /**
   * Runs {@code body} as operation {@code op} on container {@code name}: holding its lock, timed,
   * and reported to the observer.
   */
  <T> T operation(String name, String op, Supplier<T> body) {
    long start = System.nanoTime();
    try (ContainerLocks.Guard guard = locks.acquire(name, op)) {
      T result = body.get();
      observer.succeeded(op, Duration.ofNanos(System.nanoTime() - start));
      return result;
    } catch (AgentException e) {
      observer.failed(op, e.kind().name());
      throw e;
    } catch (RuntimeException e) {
      observer.failed(op, AgentException.Kind.INTERNAL.name());
      throw e;
    }
  }

  ContainerPaths paths(String name) {
    return storage.paths(name);
  }

  /** Mounts the rootfs and joins the network, as needed, and says how runc must start it. */
  RuntimeSpec prepare(ContainerRecord record) {
    storage.mount(record.name(), images.rootfs(record.imageDigest()));
    // The attachment made at create (or repaired by recovery) is normally intact: reading it is
    // one `ip netns list`, where attach would verify every piece. A missing one is re-made.
    NetworkAttachment attachment = network.attachment(record.name()).orElseGet(() -> attachNetwork(record));
    ContainerPaths p = paths(record.name());
    RuntimeSpec.Builder spec =
        RuntimeSpec.builder(record.name(), p.rootfs(), p.console())
            .initKind(record.init())
            .args(record.command().isEmpty() ? RuntimeSpec.DEFAULT_ARGS : record.command())
            .hostname(record.name())
            .limits(record.limits())
            .networkNamespace(attachment.namespacePath());
    record.env().forEach(spec::env);
    return spec.build();
  }

  /**
   * Attaches {@code name} to the network with {@code identity} when given (a cluster-wide address),
   * else with a lease of the host's own.
   */
  NetworkAttachment attachNetwork(String name, Optional<AssignedIdentity> identity) {
    if (identity.isEmpty()) {
      return network.attach(name);
    }
    AssignedIdentity id = identity.get();
    if (!id.fits(network.config())) {
      throw AgentException.precondition(
          "container " + name + ": this host's network is " + network.config().subnet() + " with gateway "
              + network.config().gateway() + ", not /" + id.prefixLength() + " with gateway "
              + id.gateway().map(Object::toString).orElse("(any)") + ": its network.subnet must be the cluster's");
    }
    return network.attach(name, id.address(), id.mac());
  }

  /** Attaches a known container with the identity its record keeps (the host's own lease if none). */
  NetworkAttachment attachNetwork(ContainerRecord record) {
    return attachNetwork(record.name(), identityOf(record));
  }

  /** The identity a record keeps, if it has one. */
  static Optional<AssignedIdentity> identityOf(ContainerRecord record) {
    if (record.network() == null || record.network().address() == null || record.network().mac() == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(new AssignedIdentity(Ipv4Address.parse(record.network().address()), MacAddress.parse(record.network().mac())));
      // The prefix length and gateway stored are what this host gave: not checked again.
    } catch (IllegalArgumentException e) {
      throw AgentException.internal("container " + record.name() + ": its stored network identity is unreadable: " + e.getMessage(), e);
    }
  }

  /** Removes runc's leftover of a container whose init has exited, so its id can be reused. */
  void deleteExitedLeftover(String name) {
    runtime
        .state(name)
        .ifPresent(
            state -> {
              if (state.status() == RuntimeStatus.STOPPED || state.status() == RuntimeStatus.CREATED) {
                runtime.delete(name, true);
              }
            });
  }

  static <T> Supplier<T> unit(Runnable body) {
    return () -> {
      body.run();
      return null;
    };
  }
}
