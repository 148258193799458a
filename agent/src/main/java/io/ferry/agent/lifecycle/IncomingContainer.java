package io.ferry.agent.lifecycle;

import io.ferry.agent.AgentException;
import io.ferry.agent.network.Ipv4Address;
import io.ferry.agent.network.MacAddress;
import io.ferry.agent.network.NetworkAttachment;
import io.ferry.agent.runtime.LazyCheckpointer;
import io.ferry.agent.runtime.PageStreaming;
import io.ferry.agent.runtime.RestoreOptions;
import io.ferry.agent.runtime.RuntimeSpec;
import io.ferry.agent.runtime.RuntimeState;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The name of an incoming container, held by its migration ({@link MigrationSupport#holdIncoming}):
 * where its received layer and images go, how it becomes a container of this host (adopt), runs
 * (start or restore), or disappears without a trace (discard). Not thread-safe: one migration
 * drives it.
 */
public final class IncomingContainer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(IncomingContainer.class);

  private final ContainerContext ctx;
  private final ContainerManager manager;
  private final String name;
  private final ContainerLocks.Guard guard;
  /** The network {@link #prepareNetwork} made (on another thread, before adopt): adopt reuses it. */
  private volatile NetworkAttachment prepared;

  IncomingContainer(ContainerContext ctx, ContainerManager manager, String name, ContainerLocks.Guard guard) {
    this.ctx = ctx;
    this.manager = manager;
    this.name = name;
    this.guard = guard;
  }

  public String name() {
    return name;
  }

  public Path upperDir() {
    return ctx.paths(name).upper();
  }

  public Path checkpointDir() {
    return ctx.paths(name).checkpoint();
  }

  /** Deletes the received images (after a restore, or when they are no longer wanted). */
  public void deleteCheckpoint() {
    ctx.storage.deleteCheckpoint(name);
  }

  /** As {@link #deleteCheckpoint()}, returning before the files are gone (see VolumeStore). */
  public void deleteCheckpointSoon() {
    ctx.storage.deleteCheckpointSoon(name);
  }

  /** An empty {@link #checkpointDir()} for received images. */
  public Path emptyCheckpointDir() {
    ctx.storage.deleteCheckpoint(name);
    try {
      return java.nio.file.Files.createDirectories(checkpointDir());
    } catch (java.io.IOException e) {
      throw AgentException.internal("cannot create " + checkpointDir() + ": " + e.getMessage(), e);
    }
  }

  public Optional<ContainerRecord> record() {
    return ctx.find(name);
  }

  /**
   * Makes it a container of this host, not running: rootfs overlay on the image (over the received
   * layer), network with exactly this address and MAC, and its record, CHECKPOINTED when it will be
   * restored, STOPPED when it will boot. Idempotent.
   */
  public ContainerRecord adopt(CreateSpec spec, String imageDigest, Ipv4Address address, MacAddress mac, boolean checkpointed) {
    Optional<ContainerRecord> existing = ctx.find(name);
    if (existing.isPresent()) {
      return existing.get();
    }
    if (!spec.name().equals(name)) {
      throw AgentException.invalid("incoming spec names " + spec.name() + ", not " + name);
    }
    ctx.storage.mount(name, ctx.images.rootfs(imageDigest));
    // Its host link stays down until it runs here: an interface up this early would tell the other
    // hosts (by its own IPv6 chatter) that the address lives here while the source still serves it,
    // and this kernel would answer the source's TCP peers with resets.
    NetworkAttachment ready = prepared;
    // Made ahead with this address and MAC: checking it again costs a dozen ms of `ip` calls
    // inside the frozen window.
    NetworkAttachment net = ready != null && ready.address().equals(address) && ready.mac().equals(mac)
        ? ready
        : ctx.network.attachIsolated(name, address, mac);
    Instant now = ctx.clock.instant();
    ContainerStatus status = checkpointed ? ContainerStatus.CHECKPOINTED : ContainerStatus.STOPPED;
    ContainerRecord record = new ContainerRecord(name, spec.image(), imageDigest, spec.init(), spec.command(), spec.env(),
        spec.limits(), status, "migrated in", now, now, ContainerManager.identity(net), spec.ha());
    return ctx.save(record);
  }

  /** Its network, isolated (host link down), before it is adopted; see {@code IncomingSlot.prepareNetwork}. */
  public void prepareNetwork(Ipv4Address address, MacAddress mac) {
    prepared = ctx.network.attachIsolated(name, address, mac);
  }

  /**
   * Brings its host link up and announces its address, without starting it: a container promoted
   * from a replica (its old host is dead), which an ordinary start then boots connected.
   */
  public void connect() {
    ctx.network.setHostLinkUp(name, true);
    ctx.network.announceNewInBackground(name);
  }

  /** Boots it (cold, near-live), with its host link up and its address announced. */
  public ContainerView start() {
    ctx.network.setHostLinkUp(name, true);
    ContainerView started = manager.startLocked(require(), false);
    ctx.network.announceNew(name);
    return started;
  }

  /** A CRIU page server on {@code 127.0.0.1:port} writing a streamed dump's pages into {@link #checkpointDir()}. */
  public PageStreaming.PageServer receivePages(int port, Duration timeout) {
    if (!(ctx.runtime instanceof PageStreaming streaming)) {
      throw AgentException.precondition("this host's runtime cannot receive streamed pages (no working CRIU)");
    }
    return streaming.receivePages(checkpointDir(), port, timeout);
  }

  /** Restores it from {@link #checkpointDir()} with these options; the images are deleted after. */
  public RuntimeState restore(RestoreOptions options) {
    return restoring(spec -> ctx.runtime.checkpointer()
        .orElseThrow(() -> AgentException.precondition("this host's runtime cannot restore (no working CRIU)"))
        .restore(spec, checkpointDir(), options));
  }

  /** Restores it with lazy pages pulled from {@code 127.0.0.1:port}. */
  public LazyCheckpointer.LazyRestore restoreLazily(RestoreOptions options, int port, Duration timeout) {
    if (!(ctx.runtime instanceof LazyCheckpointer lazy)) {
      throw AgentException.precondition("this host's runtime cannot do post-copy (no lazy pages)");
    }
    LazyCheckpointer.LazyRestore[] restored = new LazyCheckpointer.LazyRestore[1];
    restoring(spec -> {
      restored[0] = lazy.restoreLazily(spec, checkpointDir(), options, port, timeout);
      return restored[0].state();
    });
    return restored[0];
  }

  private RuntimeState restoring(java.util.function.Function<RuntimeSpec, RuntimeState> restore) {
    ContainerRecord record = require();
    if (record.status() != ContainerStatus.CHECKPOINTED) {
      throw AgentException.precondition("incoming container " + name + " is " + record.status() + ", not checkpointed");
    }
    record = ctx.move(record, ContainerStatus.STARTING, "restoring the migrated checkpoint");
    try {
      // The link comes up just before the restore: restored TCP sockets send at once, and a send
      // on an interface without carrier fails them (seen: the restored peer closed its
      // connection). The other hosts learn the address moved only from the announcement below.
      ctx.network.setHostLinkUp(name, true);
      RuntimeState state = restore.apply(ctx.prepare(record));
      state.pid().ifPresent(pid -> ctx.initPids.put(name, pid));
      ctx.move(record, ContainerStatus.RUNNING, "restored from migration, init pid " + state.pid().orElse(0));
      // Now the other hosts may send here: its TCP sockets are back. Not waited for: it runs.
      ctx.network.announceNewInBackground(name);
      return state;
    } catch (RuntimeException e) {
      ctx.move(record, ContainerStatus.CHECKPOINTED, "restore failed: " + e.getMessage());
      throw e;
    }
  }

  /**
   * Kills and deletes whatever exists of it here: runc container, network, rootfs and received
   * files, record. Idempotent; safe when nothing was adopted yet.
   */
  public void discard() {
    Optional<ContainerRecord> record = ctx.find(name);
    if (record.isPresent()) {
      ContainerRecord r = record.get();
      if (r.status() == ContainerStatus.STARTING || r.status() == ContainerStatus.STOPPING) {
        r = ctx.move(r, ContainerStatus.ERROR, "discarding a migration");
      }
      if (r.status().isLive() || ctx.runtime.state(name).map(RuntimeState::alive).orElse(false)) {
        manager.killAndWait(name);
      }
      if (ctx.runtime.state(name).isPresent()) {
        ctx.runtime.delete(name, true);
      }
    } else if (ctx.runtime.state(name).isPresent()) {
      ctx.runtime.delete(name, true);
    }
    ctx.network.detach(name);
    ctx.storage.remove(name);
    if (record.isPresent()) {
      ctx.forget(name);
    }
    log.info("container={} incoming copy discarded", name);
  }

  /** Releases the name: from now on it is an ordinary container (or free again). */
  @Override
  public void close() {
    guard.close();
  }

  private ContainerRecord require() {
    return ctx.find(name).orElseThrow(() -> AgentException.precondition("incoming container " + name + " was not adopted yet"));
  }
}
