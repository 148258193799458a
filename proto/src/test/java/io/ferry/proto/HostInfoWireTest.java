package io.ferry.proto;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import io.ferry.proto.v1.AgentServiceGrpc;
import io.ferry.proto.v1.CriuFeature;
import io.ferry.proto.v1.CriuInfo;
import io.ferry.proto.v1.GetHostInfoRequest;
import io.ferry.proto.v1.GetHostInfoResponse;
import io.ferry.proto.v1.HostCapacity;
import io.ferry.proto.v1.HostInfo;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.Test;

/** The generated ferry.v1 code round-trips on the wire and through gRPC, field for field. */
class HostInfoWireTest {

  private static HostInfo sampleHost() {
    return HostInfo.newBuilder()
        .setHostName("host-1")
        .setCapacity(HostCapacity.newBuilder().setCpuCores(2).setMemoryBytes(24L << 30))
        .setCriu(
            CriuInfo.newBuilder()
                .setAvailable(true)
                .setVersion("4.2.1")
                .setCheckPassed(true)
                .addFeatures(CriuFeature.newBuilder().setName("mem_dirty_track").setSupported(false)))
        .build();
  }

  @Test
  void binaryAndJsonFormsRoundTrip() throws Exception {
    HostInfo host = sampleHost();

    assertThat(HostInfo.parseFrom(host.toByteArray())).isEqualTo(host);

    String json = JsonFormat.printer().print(host);
    assertThat(json).contains("\"memoryBytes\": \"25769803776\"").contains("mem_dirty_track");
    HostInfo.Builder parsed = HostInfo.newBuilder();
    JsonFormat.parser().merge(json, parsed);
    assertThat(parsed.build()).isEqualTo(host);
  }

  @Test
  void generatedStubsCarryACallEndToEnd() throws Exception {
    String name = InProcessServerBuilder.generateName();
    Server server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(
                new AgentServiceGrpc.AgentServiceImplBase() {
                  @Override
                  public void getHostInfo(
                      GetHostInfoRequest request, StreamObserver<GetHostInfoResponse> response) {
                    response.onNext(GetHostInfoResponse.newBuilder().setHost(sampleHost()).build());
                    response.onCompleted();
                  }
                })
            .build()
            .start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      GetHostInfoResponse reply =
          AgentServiceGrpc.newBlockingStub(channel).getHostInfo(GetHostInfoRequest.getDefaultInstance());
      assertThat(reply.getHost()).isEqualTo(sampleHost());
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
    }
  }
}
