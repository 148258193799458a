package io.ferry.agent.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.host.HostFacts;
import io.ferry.agent.host.HostFacts.Capacity;
import io.ferry.agent.host.HostFacts.CriuFacts;
import io.ferry.agent.host.HostFacts.CriuFeature;
import io.ferry.agent.host.HostFacts.RuntimeFacts;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.GetHostInfoRequest;
import io.ferry.proto.v1.HostInfo;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AgentGrpcServiceTest {

  private final AtomicLong freeDisk = new AtomicLong(500);
  private Server server;
  private ManagedChannel channel;

  @AfterEach
  void tearDown() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  @Test
  void reportsHostFactsWithFreshDiskFigures() throws Exception {
    HostFacts facts =
        new HostFacts(
            "host-1",
            "6.18.44",
            new Capacity(2, 24L << 30, 1000, 0),
            new RuntimeFacts("runc", Path.of("/usr/sbin/runc"), "1.1.5"),
            new CriuFacts(
                true,
                Path.of("/opt/ferry/bin/criu"),
                "4.2.1",
                true,
                "",
                List.of(new CriuFeature("mem_dirty_track", false, "Dirty tracking is OFF"),
                    new CriuFeature("uffd-noncoop", true, ""))),
            "dev");
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(new AgentGrpcService(() -> facts.withDisk(1000, freeDisk.get()), null, null, null, Runnable::run))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    var stub = AgentServiceGrpc.newBlockingStub(channel);

    HostInfo first = stub.getHostInfo(GetHostInfoRequest.getDefaultInstance()).getHost();
    freeDisk.set(400);
    HostInfo second = stub.getHostInfo(GetHostInfoRequest.getDefaultInstance()).getHost();

    assertThat(first.getHostName()).isEqualTo("host-1");
    assertThat(first.getRuntime().getVersion()).isEqualTo("1.1.5");
    assertThat(first.getCriu().getCheckPassed()).isTrue();
    assertThat(first.getCriu().getFeaturesList())
        .extracting(f -> f.getName() + "=" + f.getSupported())
        .containsExactly("mem_dirty_track=false", "uffd-noncoop=true");
    assertThat(first.getCapacity().getDiskFreeBytes()).isEqualTo(500);
    assertThat(second.getCapacity().getDiskFreeBytes()).isEqualTo(400);
  }
}
