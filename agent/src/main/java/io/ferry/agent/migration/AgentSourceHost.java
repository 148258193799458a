package io.ferry.agent.migration;

import io.ferry.agent.lifecycle.ContainerStatus;
import io.ferry.agent.lifecycle.MigrationSupport;
import io.ferry.agent.lifecycle.OutgoingContainer;
import io.ferry.agent.runtime.LazyCheckpointer;
import io.ferry.migration.protocol.HostCapabilities;
import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.source.SourceContainer;
import io.ferry.migration.source.SourceHost;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;

/** {@link SourceHost} over the agent's lifecycle ({@link MigrationSupport}). */
final class AgentSourceHost implements SourceHost {

  private final MigrationSupport lifecycle;
  private final Supplier<HostCapabilities> capabilities;
  private final Duration dumpTimeout;

  AgentSourceHost(MigrationSupport lifecycle, Supplier<HostCapabilities> capabilities, Duration dumpTimeout) {
    this.lifecycle = lifecycle;
    this.capabilities = capabilities;
    this.dumpTimeout = dumpTimeout;
  }

  @Override
  public HostCapabilities capabilities() {
    return capabilities.get();
  }

  @Override
  public SourceContainer take(String name, String migrationId, boolean mustRun) {
    OutgoingContainer held = AgentErrors.call(() -> lifecycle.holdOutgoing(name, migrationId, mustRun));
    return new Held(held);
  }

  private final class Held implements SourceContainer {
    private final OutgoingContainer c;

    Held(OutgoingContainer c) {
      this.c = c;
    }

    @Override
    public String name() {
      return c.name();
    }

    @Override
    public String imageDigest() {
      return c.record().imageDigest();
    }

    @Override
    public State state() {
      ContainerStatus status = c.record().status();
      return switch (status) {
        case RUNNING -> State.RUNNING;
        case FROZEN -> State.FROZEN;
        case STOPPED -> State.STOPPED;
        default -> State.OTHER;
      };
    }

    @Override
    public long memoryBytes() {
      return c.memoryBytes();
    }

    @Override
    public Path upperDir() {
      return c.upperDir();
    }

    @Override
    public void stop() {
      AgentErrors.run(c::stop);
    }

    @Override
    public void start() {
      AgentErrors.run(c::start);
    }

    @Override
    public void freeze() {
      AgentErrors.run(c::freeze);
    }

    @Override
    public void unfreeze() {
      AgentErrors.run(c::unfreeze);
    }

    @Override
    public void setLinkUp(boolean up) {
      if (AgentErrors.call(c::network).isEmpty()) {
        throw MigrationException.precondition("container " + c.name() + " has no network attachment");
      }
      AgentErrors.run(() -> c.setLinkUp(up));
    }

    @Override
    public long dump(Path imageDir, boolean tcpEstablished) {
      return AgentErrors.call(() -> c.dump(imageDir, tcpEstablished)).imageBytes();
    }

    @Override
    public long dumpToPageServer(Path imageDir, boolean tcpEstablished, int pageServerPort) {
      return AgentErrors.call(() -> c.dumpToPageServer(imageDir, tcpEstablished, pageServerPort)).imageBytes();
    }

    @Override
    public LazyDump dumpLazily(Path imageDir, boolean tcpEstablished, int pageServerPort) {
      LazyCheckpointer.LazyDump dump = AgentErrors.call(() -> c.dumpLazily(imageDir, tcpEstablished, pageServerPort, dumpTimeout));
      return new LazyDump() {
        @Override
        public long imageBytes() {
          return dump.images().imageBytes();
        }

        @Override
        public void awaitDone(Duration timeout) {
          AgentErrors.run(() -> dump.awaitDone(timeout));
        }

        @Override
        public void close() {
          dump.close();
        }
      };
    }

    @Override
    public void destroy() {
      AgentErrors.run(c::destroy);
    }

    @Override
    public void close() {
      c.close();
    }
  }
}
