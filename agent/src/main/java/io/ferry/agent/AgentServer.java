package io.ferry.agent;

import io.ferry.agent.api.AgentGrpcService;
import io.ferry.agent.config.AgentConfig;
import io.ferry.agent.host.HostFacts;
import io.ferry.agent.host.HostProbe;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running agent: probes the host, then serves {@code AgentService}, the standard health
 * service and server reflection on the configured address.
 *
 * <p>Lifecycle: {@link #start()} once, {@link #close()} once; not restartable. Closing the agent
 * never stops containers: they outlive the agent process by design.
 */
public final class AgentServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(AgentServer.class);

  private final AgentConfig config;
  private final HostFacts facts;
  private final HealthStatusManager health = new HealthStatusManager();
  private Server server;

  public AgentServer(AgentConfig config) {
    this.config = config;
    this.facts =
        new HostProbe(config.runc(), config.criu(), config.stateDir())
            .probe(config.hostName(), AgentMain.version());
  }

  public AgentServer start() throws IOException {
    ServerBuilder<?> builder =
        NettyServerBuilder.forAddress(new InetSocketAddress(config.listenAddress(), config.listenPort()));
    server =
        builder
            .addService(new AgentGrpcService(this::currentFacts))
            .addService(health.getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance())
            .build()
            .start();
    health.setStatus(AgentServiceGrpc.SERVICE_NAME, ServingStatus.SERVING);
    health.setStatus("", ServingStatus.SERVING);
    log.info("agent {} serving on {}:{}", config.hostName(), config.listenAddress(), port());
    return this;
  }

  /** The bound port (useful when the configured port was 0). */
  public int port() {
    return server.getPort();
  }

  public HostFacts facts() {
    return facts;
  }

  private HostFacts currentFacts() {
    long[] disk = HostProbe.disk(config.stateDir());
    return facts.withDisk(disk[0], disk[1]);
  }

  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /** For shutdown hooks: closes, restoring the interrupt flag if interrupted. */
  public void closeQuietly() {
    try {
      close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (server == null) {
      return;
    }
    health.enterTerminalState();
    server.shutdown();
    if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
      server.shutdownNow();
    }
  }
}
