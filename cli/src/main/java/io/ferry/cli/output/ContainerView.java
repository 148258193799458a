package io.ferry.cli.output;

import io.ferry.common.ByteSize;
import io.ferry.proto.v1.ClusterContainer;
import io.ferry.proto.v1.Container;
import io.ferry.proto.v1.ContainerState;
import io.ferry.proto.v1.Limits;
import java.util.List;
import java.util.Locale;

/** Containers for people: one host's (agent) and the cluster's. */
public final class ContainerView {

  private static final String STATE = "CONTAINER_STATE_";

  private ContainerView() {}

  /** What one agent reports. */
  public static String agentTable(List<Container> containers) {
    Table table = new Table("name", "state", "image", "address", "pid", "memory", "detail");
    for (Container c : containers) {
      table.row(
          c.getSpec().getName(),
          state(c.getState()),
          c.getSpec().getImage(),
          c.getNetwork().getAddress(),
          c.getInitPid() == 0 ? "" : c.getInitPid(),
          Cells.bytes(c.getUsage().getMemoryBytes(), true),
          c.getDetail());
    }
    return table.render();
  }

  /** The cluster's view: where each container is and what it is becoming. */
  public static String clusterTable(List<ClusterContainer> containers) {
    Table table = new Table("name", "state", "host", "image", "address", "cpu", "memory", "operation");
    for (ClusterContainer cc : containers) {
      Container c = cc.getContainer();
      table.row(
          c.getSpec().getName(),
          stateAndDesired(cc),
          cc.getHost(),
          c.getSpec().getImage(),
          c.getNetwork().getAddress(),
          cc.getCpuMillis() == 0 ? "" : Cells.cores(cc.getCpuMillis()),
          memoryLimit(c),
          cc.getOperationId());
    }
    return table.render();
  }

  /** Everything about one container. */
  public static String details(ClusterContainer cc) {
    Container c = cc.getContainer();
    Limits limits = c.getLimits();
    return new KeyValues()
        .add("name", c.getSpec().getName())
        .add("state", state(c.getState()))
        .add("desired state", state(cc.getDesiredState()))
        .add("detail", c.getDetail())
        .add("host", cc.getHost())
        .add("image", c.getSpec().getImage() + (c.getImageDigest().isEmpty() ? "" : " (" + shortDigest(c.getImageDigest()) + ")"))
        .add("init", Cells.name(c.getSpec().getInit(), "INIT_KIND_").toLowerCase(Locale.ROOT))
        .add("command", String.join(" ", c.getSpec().getCommandList()))
        .add("address", c.getNetwork().getAddress().isEmpty() ? "" : c.getNetwork().getAddress() + "/" + c.getNetwork().getPrefixLength())
        .add("mac", c.getNetwork().getMac())
        .add("pid", c.getInitPid() == 0 ? "" : c.getInitPid())
        .add("cpu reserved", cc.getCpuMillis() == 0 ? "" : Cells.cores(cc.getCpuMillis()) + " cores")
        .add("cpu limit", cpuLimit(limits).isEmpty() ? "" : cpuLimit(limits) + " cores")
        .add("cpu shares", limits.hasCpuShares() ? limits.getCpuShares() : "")
        .add("memory limit", limits.hasMemoryBytes() ? Cells.bytes(limits.getMemoryBytes(), false) : "")
        .add("memory used", Cells.bytes(c.getUsage().getMemoryBytes(), true))
        .add("pids limit", limits.hasPidsMax() ? limits.getPidsMax() : "")
        .add("pids", c.getUsage().getPids() == 0 ? "" : c.getUsage().getPids())
        .add("disk reserved", Cells.bytes(cc.getDiskBytes(), true))
        .add("disk used", Cells.bytes(c.getUsage().getDiskBytes(), true))
        .add("required labels", Cells.labels(cc.getRequiredLabelsMap()))
        .add("anti-affinity", cc.getAntiAffinityGroup())
        .add("ha standby", cc.hasHa() ? cc.getHa().getStandbyHost() : "")
        .add("ha replica", cc.hasHa() ? replica(cc.getHa()) : "")
        .add("operation", cc.getOperationId())
        .add("created", Cells.time(c.getCreatedAt()))
        .add("state since", Cells.time(c.getStateSince()))
        .render();
  }

  /** "12 s old (48.0 MiB), 1 failover" or "none yet". */
  static String replica(io.ferry.proto.v1.HaStatus ha) {
    String age = ha.getReplicaAgeSeconds() < 0 ? "none yet" : ha.getReplicaAgeSeconds() + " s old (" + Cells.bytes(ha.getReplicaBytes(), false) + ")";
    return ha.getFailovers() == 0 ? age : age + ", " + ha.getFailovers() + (ha.getFailovers() == 1 ? " failover" : " failovers");
  }

  /** The limits in force, as {@code config set} keys. */
  public static String limits(Limits limits) {
    return new Table("key", "value")
        .row("limits.cpu", cpuLimit(limits))
        .row("limits.memory", limits.hasMemoryBytes() ? ByteSize.ofBytes(limits.getMemoryBytes()) : "")
        .row("limits.pids", limits.hasPidsMax() ? limits.getPidsMax() : "")
        .render();
  }

  static String state(ContainerState state) {
    return Cells.name(state, STATE);
  }

  private static String stateAndDesired(ClusterContainer cc) {
    String state = state(cc.getContainer().getState());
    String desired = state(cc.getDesiredState());
    return desired.isEmpty() || desired.equals(state) ? state : state + " (to " + desired + ")";
  }

  private static String memoryLimit(Container c) {
    return c.getLimits().hasMemoryBytes() ? Cells.bytes(c.getLimits().getMemoryBytes(), false) : "";
  }

  /** Quota over period in cores, e.g. {@code 0.5}; empty when unlimited. */
  private static String cpuLimit(Limits limits) {
    if (!limits.hasCpuQuotaMicros() || limits.getCpuPeriodMicros() == 0) {
      return "";
    }
    long millis = limits.getCpuQuotaMicros() * 1000 / limits.getCpuPeriodMicros();
    return Cells.cores(millis);
  }

  static String shortDigest(String digest) {
    return digest.substring(0, Math.min(12, digest.length()));
  }
}
