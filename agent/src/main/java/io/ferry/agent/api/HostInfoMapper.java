package io.ferry.agent.api;

import io.ferry.agent.host.HostFacts;
import io.ferry.proto.v1.CriuFeature;
import io.ferry.proto.v1.CriuInfo;
import io.ferry.proto.v1.HostCapacity;
import io.ferry.proto.v1.HostInfo;
import io.ferry.proto.v1.RuntimeInfo;

/** Maps the agent's {@link HostFacts} to the wire form; generated classes stop here. */
final class HostInfoMapper {

  private HostInfoMapper() {}

  static HostInfo toProto(HostFacts facts) {
    HostFacts.CriuFacts criu = facts.criu();
    CriuInfo.Builder criuInfo =
        CriuInfo.newBuilder()
            .setAvailable(criu.available())
            .setPath(criu.path().toString())
            .setVersion(criu.version())
            .setCheckPassed(criu.checkPassed())
            .setDetail(criu.detail());
    criu.features()
        .forEach(
            f ->
                criuInfo.addFeatures(
                    CriuFeature.newBuilder()
                        .setName(f.name())
                        .setSupported(f.supported())
                        .setDetail(f.detail())));
    return HostInfo.newBuilder()
        .setHostName(facts.hostName())
        .setKernelVersion(facts.kernel())
        .setAgentVersion(facts.agentVersion())
        .setCapacity(
            HostCapacity.newBuilder()
                .setCpuCores(facts.capacity().cpuCores())
                .setMemoryBytes(facts.capacity().memoryBytes())
                .setDiskBytes(facts.capacity().diskBytes())
                .setDiskFreeBytes(facts.capacity().diskFreeBytes()))
        .setRuntime(
            RuntimeInfo.newBuilder()
                .setName(facts.runtime().name())
                .setPath(facts.runtime().path().toString())
                .setVersion(facts.runtime().version()))
        .setCriu(criuInfo)
        .build();
  }
}
