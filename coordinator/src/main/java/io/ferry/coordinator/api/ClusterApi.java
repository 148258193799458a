package io.ferry.coordinator.api;

import io.ferry.common.security.ClusterTls;
import io.ferry.coordinator.cluster.Leadership;
import io.ferry.coordinator.cluster.Membership;
import io.ferry.coordinator.config.CoordinatorConfig;
import io.ferry.coordinator.hosts.AgentClients;
import io.ferry.coordinator.hosts.HostDirectory;
import io.ferry.coordinator.hosts.HostImages;
import io.ferry.coordinator.hosts.ImageDistribution;
import io.ferry.coordinator.operations.ContainerOperations;
import io.ferry.coordinator.operations.Launcher;
import io.ferry.coordinator.operations.OperationRunner;
import io.ferry.coordinator.security.HostAdmission;
import io.ferry.coordinator.security.IssuedRecords;
import io.ferry.coordinator.store.ClusterStore;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The public {@code ferry.v1} API of one coordinator: its services, wired to the domain, behind
 * the {@link LeaderGate} interceptor that forwards writes to the leader.
 */
public final class ClusterApi implements AutoCloseable {

  private final LeaderGate gate;
  private final ContainerApi containers;
  private final ImageApi images;
  private final HostApi hosts;
  private final CertificateApi certificates;
  private final OperationApi operations;
  private final EventApi events;
  private final ExecutorService workers;

  public ClusterApi(
      String coordinatorId,
      ClusterStore store,
      Leadership leadership,
      Membership membership,
      HostDirectory hostDirectory,
      HostImages hostImages,
      AgentClients agents,
      Launcher launcher,
      ContainerOperations containerOperations,
      io.ferry.coordinator.operations.Evacuations evacuations,
      OperationRunner runner,
      CoordinatorConfig.WorkConfig work,
      Clock clock,
      ClusterTls tls,
      HostAdmission admission,
      IssuedRecords certificates) {
    this.gate = new LeaderGate(leadership, store, coordinatorId, tls);
    this.workers = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "api-worker");
      t.setDaemon(true);
      return t;
    });
    this.containers = new ContainerApi(store, gate, launcher, containerOperations, runner, hostDirectory, agents);
    this.images =
        new ImageApi(
            hostDirectory,
            hostImages,
            agents,
            new ImageDistribution(agents, Duration.ofMinutes(30)),
            work.spoolDir(),
            work.maxImageArchive().bytes(),
            workers);
    this.hosts = new HostApi(hostDirectory, gate, evacuations, admission);
    this.certificates = new CertificateApi(certificates, io.ferry.common.security.Pem.certificates(java.util.List.of(tls.trust().authority())));
    this.operations = new OperationApi(store, gate, containerOperations);
    this.events = new EventApi(store, membership, clock);
  }

  /**
   * Adds the services to a server being built, each behind {@code outer} (first), then {@code
   * access} (authentication and the role check), then the leader gate.
   */
  public void register(NettyServerBuilder server, io.grpc.ServerInterceptor outer, io.grpc.ServerInterceptor access) {
    for (io.grpc.BindableService service : java.util.List.<io.grpc.BindableService>of(containers, images, hosts, certificates, operations, events)) {
      server.addService(ServerInterceptors.intercept(service, gate, access, outer));
    }
  }

  @Override
  public void close() {
    gate.close();
    workers.shutdownNow();
  }
}
