package io.ferry.agent.api;

import com.google.protobuf.Timestamp;
import io.ferry.agent.AgentException;
import io.ferry.agent.images.ImageRecord;
import io.ferry.agent.lifecycle.ContainerRecord;
import io.ferry.agent.lifecycle.ContainerStatus;
import io.ferry.agent.lifecycle.ContainerView;
import io.ferry.agent.lifecycle.CreateSpec;
import io.ferry.agent.network.AssignedIdentity;
import io.ferry.agent.network.Ipv4Address;
import io.ferry.agent.network.MacAddress;
import io.ferry.agent.runtime.InitKind;
import io.ferry.agent.runtime.Limits;
import io.ferry.agent.storage.SnapshotInfo;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.Image;
import io.ferry.proto.v1.NetworkInfo;
import io.ferry.proto.v1.ResourceUsage;
import io.ferry.proto.v1.Snapshot;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/** Domain values to and from ferry.v1 messages; generated classes stop at this package. */
final class ProtoMapper {

  private ProtoMapper() {}

  static CreateSpec createSpec(ContainerSpec spec) {
    return createSpec(spec, NetworkInfo.getDefaultInstance());
  }

  static CreateSpec createSpec(ContainerSpec spec, NetworkInfo network) {
    return new CreateSpec(
        spec.getName(), spec.getImage(), initKind(spec.getInit()), spec.getCommandList(), spec.getEnvMap(), limits(spec.getLimits()),
        identity(spec.getName(), network), spec.getHa());
  }

  /**
   * The identity a create or copy asks for: empty when {@code network} has no address (the host
   * leases one).
   *
   * @throws AgentException INVALID_ARGUMENT for a malformed address, MAC or gateway, or an address
   *     without a MAC
   */
  static Optional<AssignedIdentity> identity(String container, NetworkInfo network) {
    if (network.getAddress().isEmpty()) {
      if (!network.getMac().isEmpty()) {
        throw AgentException.invalid("container " + container + ": network.mac given without network.address");
      }
      return Optional.empty();
    }
    if (network.getMac().isEmpty()) {
      throw AgentException.invalid("container " + container + ": network.address " + network.getAddress() + " given without network.mac");
    }
    try {
      return Optional.of(
          new AssignedIdentity(
              Ipv4Address.parse(network.getAddress()),
              MacAddress.parse(network.getMac()),
              network.getPrefixLength(),
              network.getGateway().isEmpty() ? Optional.empty() : Optional.of(Ipv4Address.parse(network.getGateway()))));
    } catch (IllegalArgumentException e) {
      throw AgentException.invalid("container " + container + ": network identity: " + e.getMessage());
    }
  }

  static InitKind initKind(io.ferry.proto.v1.InitKind kind) {
    switch (kind) {
      case INIT_KIND_SYSTEMD:
        return InitKind.SYSTEMD;
      case INIT_KIND_GENERIC:
      case INIT_KIND_UNSPECIFIED:
        return InitKind.GENERIC;
      default:
        throw AgentException.invalid("unknown init kind " + kind);
    }
  }

  /** Unset fields stay unset: "no limit" on create, "unchanged" on update. */
  static Limits limits(io.ferry.proto.v1.Limits l) {
    return new Limits(
        l.hasCpuShares() ? OptionalLong.of(l.getCpuShares()) : OptionalLong.empty(),
        l.hasCpuQuotaMicros() ? OptionalLong.of(l.getCpuQuotaMicros()) : OptionalLong.empty(),
        l.hasCpuPeriodMicros() ? OptionalLong.of(l.getCpuPeriodMicros()) : OptionalLong.empty(),
        l.hasMemoryBytes() ? OptionalLong.of(l.getMemoryBytes()) : OptionalLong.empty(),
        l.hasPidsMax() ? OptionalLong.of(l.getPidsMax()) : OptionalLong.empty());
  }

  static io.ferry.proto.v1.Limits limits(Limits l) {
    io.ferry.proto.v1.Limits.Builder b = io.ferry.proto.v1.Limits.newBuilder();
    l.cpuShares().ifPresent(b::setCpuShares);
    l.cpuQuotaMicros().ifPresent(b::setCpuQuotaMicros);
    l.cpuPeriodMicros().ifPresent(b::setCpuPeriodMicros);
    l.memoryBytes().ifPresent(b::setMemoryBytes);
    l.pidsMax().ifPresent(b::setPidsMax);
    return b.build();
  }

  static Container container(ContainerView view) {
    ContainerRecord r = view.record();
    Container.Builder c =
        Container.newBuilder()
            .setSpec(
                ContainerSpec.newBuilder()
                    .setName(r.name())
                    .setImage(r.image())
                    .setInit(r.init() == InitKind.SYSTEMD ? io.ferry.proto.v1.InitKind.INIT_KIND_SYSTEMD : io.ferry.proto.v1.InitKind.INIT_KIND_GENERIC)
                    .addAllCommand(r.command())
                    .putAllEnv(r.env())
                    .setLimits(limits(r.limits()))
                    .setHa(r.ha()))
            .setState(state(r.status()))
            .setDetail(r.detail())
            .setImageDigest(r.imageDigest())
            .setInitPid(view.initPid().orElse(0))
            .setLimits(limits(view.limits()))
            .setCreatedAt(timestamp(r.createdAt()))
            .setStateSince(timestamp(r.stateSince()));
    ResourceUsage.Builder usage = ResourceUsage.newBuilder().setDiskBytes(Math.max(view.diskBytes(), 0));
    view.usage().ifPresent(u -> usage.setMemoryBytes(u.memoryBytes()).setPids(u.pids()).setCpuNanos(u.cpuNanos()));
    c.setUsage(usage);
    if (r.network() != null) {
      c.setNetwork(
          NetworkInfo.newBuilder()
              .setAddress(r.network().address())
              .setPrefixLength(r.network().prefixLength())
              .setGateway(r.network().gateway())
              .setMac(r.network().mac()));
    }
    return c.build();
  }

  static ContainerState state(ContainerStatus status) {
    switch (status) {
      case STOPPED:
        return ContainerState.CONTAINER_STATE_STOPPED;
      case STARTING:
        return ContainerState.CONTAINER_STATE_STARTING;
      case RUNNING:
        return ContainerState.CONTAINER_STATE_RUNNING;
      case STOPPING:
        return ContainerState.CONTAINER_STATE_STOPPING;
      case FROZEN:
        return ContainerState.CONTAINER_STATE_FROZEN;
      case CHECKPOINTED:
        return ContainerState.CONTAINER_STATE_CHECKPOINTED;
      case ERROR:
      default:
        return ContainerState.CONTAINER_STATE_ERROR;
    }
  }

  static Image image(ImageRecord r) {
    return Image.newBuilder()
        .setDigest(r.digest())
        .addAllAliases(r.aliases())
        .setArchiveBytes(r.archiveBytes())
        .setUnpackedBytes(r.unpackedBytes())
        .setFileCount(r.fileCount())
        .setCreatedAt(timestamp(r.createdAt()))
        .setSource(r.source())
        .build();
  }

  static Snapshot snapshot(SnapshotInfo s) {
    return Snapshot.newBuilder()
        .setContainer(s.container())
        .setName(s.name())
        .setCreatedAt(timestamp(s.createdAt()))
        .setSizeBytes(s.sizeBytes())
        .build();
  }

  static Timestamp timestamp(Instant at) {
    return Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build();
  }
}
