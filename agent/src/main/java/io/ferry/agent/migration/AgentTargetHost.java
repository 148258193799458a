package io.ferry.agent.migration;

import io.ferry.agent.images.ImageStore;
import io.ferry.agent.images.ImportOptions;
import io.ferry.agent.lifecycle.CreateSpec;
import io.ferry.agent.lifecycle.IncomingContainer;
import io.ferry.agent.lifecycle.MigrationSupport;
import io.ferry.agent.network.Ipv4Address;
import io.ferry.agent.network.MacAddress;
import io.ferry.agent.runtime.LazyCheckpointer;
import io.ferry.agent.runtime.PageStreaming;
import io.ferry.agent.runtime.RestoreOptions;
import io.ferry.agent.runtime.RuntimeState;
import io.ferry.agent.AgentException;
import io.ferry.migration.protocol.HostCapabilities;
import io.ferry.migration.target.IncomingSlot;
import io.ferry.migration.target.TargetHost;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link TargetHost} over the agent's lifecycle and image store. */
final class AgentTargetHost implements TargetHost {

  private static final Logger log = LoggerFactory.getLogger(AgentTargetHost.class);

  private final MigrationSupport lifecycle;
  private final ImageStore images;
  private final Function<byte[], CreateSpec> specs;
  private final Supplier<HostCapabilities> capabilities;
  private final LongSupplier diskFree;
  private final Duration pagesTimeout;

  AgentTargetHost(
      MigrationSupport lifecycle, ImageStore images, Function<byte[], CreateSpec> specs, Supplier<HostCapabilities> capabilities,
      LongSupplier diskFree, Duration pagesTimeout) {
    this.lifecycle = lifecycle;
    this.images = images;
    this.specs = specs;
    this.capabilities = capabilities;
    this.diskFree = diskFree;
    this.pagesTimeout = pagesTimeout;
  }

  @Override
  public HostCapabilities capabilities() {
    return capabilities.get();
  }

  @Override
  public IncomingSlot reserve(String name, String migrationId, boolean recovering) {
    return new Slot(AgentErrors.call(() -> lifecycle.holdIncoming(name, migrationId, recovering)));
  }

  @Override
  public boolean hasImage(String digest) {
    try {
      return images.find(digest).digest().equals(digest);
    } catch (AgentException e) {
      return false;
    }
  }

  @Override
  public void importImage(String digest, InputStream archive, List<String> aliases) {
    AgentErrors.run(() -> images.importReplica(archive, digest,
        new ImportOptions(List.of(), Optional.empty(), "migrated from another host (aliases there: " + aliases + ")")));
  }

  @Override
  public long diskFreeBytes() {
    return diskFree.getAsLong();
  }

  private final class Slot implements IncomingSlot {
    private final IncomingContainer c;

    Slot(IncomingContainer c) {
      this.c = c;
    }

    @Override
    public Path upperDir() {
      return c.upperDir();
    }

    @Override
    public Path checkpointDir() {
      return c.checkpointDir();
    }

    @Override
    public Path emptyCheckpointDir() {
      return AgentErrors.call(c::emptyCheckpointDir);
    }

    @Override
    public void prepareNetwork(String address, String mac) {
      AgentErrors.run(() -> c.prepareNetwork(Ipv4Address.parse(address), MacAddress.parse(mac)));
    }

    @Override
    public void adopt(byte[] spec, String imageDigest, String address, String mac, boolean forRestore) {
      AgentErrors.run(() -> c.adopt(specs.apply(spec), imageDigest, Ipv4Address.parse(address), MacAddress.parse(mac), forRestore));
    }

    @Override
    public String start() {
      return "pid " + AgentErrors.call(c::start).initPid().orElse(0);
    }

    @Override
    public Restored restore(boolean tcpEstablished, OptionalInt lazyPagesPort) {
      RestoreOptions options = new RestoreOptions(tcpEstablished, false, false);
      if (lazyPagesPort.isEmpty()) {
        RuntimeState state = AgentErrors.call(() -> c.restore(options));
        // Not waited for: the source is frozen until this answers (1 GiB of pages took 150 ms to
        // delete). A failure must not fail a restore that ran: the images are only left behind.
        try {
          c.deleteCheckpointSoon();
        } catch (RuntimeException e) {
          log.warn("container={} restored; its received images were not deleted: {}", c.name(), e.getMessage());
        }
        return new Restored("pid " + state.pid().orElse(0), CompletableFuture.completedFuture(null));
      }
      LazyCheckpointer.LazyRestore restored =
          AgentErrors.call(() -> c.restoreLazily(options, lazyPagesPort.getAsInt(), pagesTimeout));
      CompletableFuture<Void> pages = new CompletableFuture<>();
      restored.pagesDone().whenComplete((ok, error) -> {
        deleteImages();
        if (error == null) {
          pages.complete(null);
        } else {
          pages.completeExceptionally(error instanceof AgentException a ? AgentErrors.convert(a) : error);
        }
      });
      return new Restored("pid " + restored.state().pid().orElse(0) + " (pages arriving)", pages);
    }

    @Override
    public PageServer servePages(int port) {
      PageStreaming.PageServer server = AgentErrors.call(() -> c.receivePages(port, pagesTimeout));
      return new PageServer() {
        @Override
        public void awaitDone(Duration timeout) {
          AgentErrors.run(() -> server.awaitDone(timeout));
        }

        @Override
        public void close() {
          server.close();
        }
      };
    }

    @Override
    public void discard() {
      AgentErrors.run(c::discard);
    }

    @Override
    public void close() {
      c.close();
    }

    private void deleteImages() {
      AgentErrors.run(c::deleteCheckpoint);
    }
  }
}
