package io.ferry.agent.network;

import io.ferry.common.cluster.HostNetwork;
import io.ferry.common.cluster.HostRegistration;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the overlay's flood list equal to the cluster's membership: told the live hosts'
 * registrations on every change ({@link #membershipChanged}), it picks the other hosts' underlay
 * addresses ({@link #select}) and has {@link NetworkManager#syncOverlayPeers} make the flood list
 * exactly that. A host that joins is added, one that leaves is removed, entries nobody accounts for
 * (a previous run's, or added by hand) go at the first sync. Addresses come only from what hosts
 * registered, never from probing.
 *
 * <p>Which hosts are peers: every live host other than this one that registered the same container
 * subnet and an overlay address. A host with another subnet would bridge a different network into
 * this one; a host without an overlay address runs none; neither is added (and each is logged once).
 *
 * <p>Threading: {@link #membershipChanged} may be called from any thread and returns at once; the
 * work runs on one thread of its own ({@code overlay-peers}), coalescing bursts: only the latest
 * membership is applied. The latest membership is applied again every resync interval (repairing
 * entries changed by hand) and, after a failure, one second later. Failure modes: a failing sync is
 * logged and retried; nothing is thrown to the caller.
 */
public final class OverlayPeerSync implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(OverlayPeerSync.class);
  private static final Duration RETRY = Duration.ofSeconds(1);

  /**
   * The peers chosen from one membership.
   *
   * @param peers the other hosts' underlay addresses, in host-name order
   * @param skipped one line per live host left out, with the reason
   */
  public record Selection(List<Ipv4Address> peers, List<String> skipped) {
    public Selection {
      peers = List.copyOf(peers);
      skipped = List.copyOf(skipped);
    }
  }

  private final NetworkManager network;
  private final String selfHost;
  private final ScheduledExecutorService worker;
  private final AtomicBoolean pending = new AtomicBoolean();
  private volatile List<HostRegistration> latest; // null until the first membership
  private List<String> lastSkipped = List.of(); // worker thread only
  private boolean retryScheduled; // worker thread only

  /**
   * @param network this host's network, overlay on
   * @param selfHost this host's name, left out of the peers
   * @param resyncInterval how often the latest membership is applied again
   */
  public OverlayPeerSync(NetworkManager network, String selfHost, Duration resyncInterval) {
    this.network = Objects.requireNonNull(network, "network");
    this.selfHost = Objects.requireNonNull(selfHost, "selfHost");
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "overlay-peers");
      t.setDaemon(true);
      return t;
    });
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.worker = executor;
    long every = resyncInterval.toMillis();
    worker.scheduleWithFixedDelay(this::resync, every, every, TimeUnit.MILLISECONDS);
  }

  /**
   * The live hosts changed (or were listed for the first time): {@code live} is all of them, this
   * host included. Returns at once.
   */
  public void membershipChanged(List<HostRegistration> live) {
    latest = List.copyOf(live);
    if (pending.compareAndSet(false, true)) {
      try {
        worker.execute(this::applyLatest);
      } catch (RejectedExecutionException e) {
        pending.set(false); // closed
      }
    }
  }

  /**
   * Picks the peers among {@code live}: the hosts other than {@code selfHost} whose registered
   * subnet is {@code subnet} and that registered an overlay address other than {@code local}.
   */
  public static Selection select(String selfHost, Ipv4Subnet subnet, Ipv4Address local, Collection<HostRegistration> live) {
    List<HostRegistration> sorted = new ArrayList<>(live);
    sorted.sort((a, b) -> a.hostName().compareTo(b.hostName()));
    Set<Ipv4Address> peers = new LinkedHashSet<>();
    List<String> skipped = new ArrayList<>();
    for (HostRegistration host : sorted) {
      if (host.hostName().equals(selfHost)) {
        continue;
      }
      Optional<HostNetwork> net = host.network();
      if (net.isEmpty()) {
        skipped.add(host.hostName() + ": registers no network");
      } else if (!net.get().subnet().equals(subnet.toString())) {
        skipped.add(host.hostName() + ": network " + net.get().subnet() + " is not this host's " + subnet);
      } else if (!net.get().hasOverlay()) {
        skipped.add(host.hostName() + ": runs no overlay");
      } else {
        Ipv4Address address = Ipv4Address.parse(net.get().overlayAddress());
        if (address.equals(local)) {
          skipped.add(host.hostName() + ": registers this host's own underlay address " + local);
        } else {
          peers.add(address);
        }
      }
    }
    return new Selection(new ArrayList<>(peers), skipped);
  }

  /** Applies the latest membership now, on the caller's thread; for tests and the worker. */
  PeerChanges applyNow(List<HostRegistration> live) {
    NetworkConfig config = network.config();
    Selection selection = select(selfHost, config.subnet(), config.overlay().localAddress().orElseThrow(), live);
    if (!selection.skipped().equals(lastSkipped)) {
      selection.skipped().forEach(reason -> log.warn("overlay: not a peer: {}", reason));
      lastSkipped = selection.skipped();
    }
    return network.syncOverlayPeers(selection.peers());
  }

  private void applyLatest() {
    pending.set(false);
    List<HostRegistration> live = latest;
    if (live == null) {
      return;
    }
    try {
      applyNow(live);
    } catch (RuntimeException e) {
      log.warn("overlay: cannot update the flood list, retrying in {} ms: {}", RETRY.toMillis(), e.getMessage());
      if (!retryScheduled) {
        retryScheduled = true;
        try {
          worker.schedule(() -> {
            retryScheduled = false;
            applyLatest();
          }, RETRY.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
          retryScheduled = false;
        }
      }
    }
  }

  private void resync() {
    applyLatest();
  }

  /** Stops syncing; the flood list stays as it is (the overlay keeps working without the agent). */
  @Override
  public void close() {
    worker.shutdownNow();
  }
}
