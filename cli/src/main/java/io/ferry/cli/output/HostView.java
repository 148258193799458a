package io.ferry.cli.output;

import io.ferry.proto.v1.CriuFeature;
import io.ferry.proto.v1.Host;
import io.ferry.proto.v1.HostCapacity;
import io.ferry.proto.v1.HostInfo;
import java.util.List;

/** Hosts for people: the cluster's list, one host's details, and the facts an agent reports. */
public final class HostView {

  private static final String STATE = "HOST_STATE_";

  private HostView() {}

  /** Allocated (reserved by placement) over what the host offers, for cpu, memory and disk. */
  public static String table(List<Host> hosts) {
    Table table = new Table("name", "state", "address", "cpu", "memory", "disk", "containers");
    for (Host h : hosts) {
      table.row(
          h.getName(),
          Cells.name(h.getState(), STATE),
          h.getAddress(),
          Cells.usedOfTotal(Cells.cores(h.getAllocatedCpuMillis()), Cells.cores(cpuMillis(h))),
          Cells.usedOfTotal(Cells.bytes(h.getAllocatedMemoryBytes(), false), Cells.bytes(memoryBytes(h), false)),
          Cells.usedOfTotal(Cells.bytes(h.getAllocatedDiskBytes(), false), Cells.bytes(diskBytes(h), false)),
          h.getContainers());
    }
    return table.render();
  }

  /** One host: its place in the cluster, then the agent's facts. */
  public static String details(Host h) {
    String place = new KeyValues()
        .add("name", h.getName())
        .add("state", Cells.name(h.getState(), STATE))
        .add("address", h.getAddress())
        .add("labels", Cells.labels(h.getLabelsMap()))
        .add("cpu allocated", Cells.cores(h.getAllocatedCpuMillis()) + " of " + Cells.cores(cpuMillis(h)) + " cores")
        .add("memory allocated", Cells.bytes(h.getAllocatedMemoryBytes(), false) + " of " + Cells.bytes(memoryBytes(h), false))
        .add("disk allocated", Cells.bytes(h.getAllocatedDiskBytes(), false) + " of " + Cells.bytes(diskBytes(h), false))
        .add("containers", h.getContainers())
        .add("agent version", h.getAgentVersion().isEmpty() ? h.getInfo().getAgentVersion() : h.getAgentVersion())
        .render();
    return h.hasInfo() ? place + "\n" + facts(h.getInfo()) : place;
  }

  // What the host offers to containers; the agent's raw capacity when the coordinator left it unset.

  private static long cpuMillis(Host h) {
    return h.getCapacityCpuMillis() != 0 ? h.getCapacityCpuMillis() : h.getInfo().getCapacity().getCpuCores() * 1000L;
  }

  private static long memoryBytes(Host h) {
    HostCapacity raw = h.getInfo().getCapacity();
    return h.getCapacityMemoryBytes() != 0 ? h.getCapacityMemoryBytes() : raw.getMemoryBytes();
  }

  private static long diskBytes(Host h) {
    HostCapacity raw = h.getInfo().getCapacity();
    return h.getCapacityDiskBytes() != 0 ? h.getCapacityDiskBytes() : raw.getDiskBytes();
  }

  /** Capacity, runtime and CRIU features, as the agent probed them. */
  public static String facts(HostInfo host) {
    Table facts =
        new Table("host", "kernel", "cpus", "memory", "disk free", "runtime", "criu")
            .row(
                host.getHostName(),
                host.getKernelVersion(),
                host.getCapacity().getCpuCores(),
                Cells.bytes(host.getCapacity().getMemoryBytes(), false),
                Cells.bytes(host.getCapacity().getDiskFreeBytes(), false) + " of " + Cells.bytes(host.getCapacity().getDiskBytes(), false),
                host.getRuntime().getName() + " " + host.getRuntime().getVersion(),
                !host.getCriu().getAvailable()
                    ? "unavailable"
                    : host.getCriu().getVersion() + (host.getCriu().getCheckPassed() ? " (check passed)" : " (check FAILED)"));
    Table features = new Table("criu feature", "supported", "detail");
    for (CriuFeature f : host.getCriu().getFeaturesList()) {
      features.row(f.getName(), f.getSupported() ? "yes" : "no", f.getDetail());
    }
    return facts.render() + "\n" + features.render();
  }
}
