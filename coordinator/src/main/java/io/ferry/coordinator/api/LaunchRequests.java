package io.ferry.coordinator.api;

import io.ferry.common.ByteSize;
import io.ferry.common.Names;
import io.ferry.coordinator.CoordinatorException;
import io.ferry.coordinator.CoordinatorException.Kind;
import io.ferry.coordinator.placement.PlacementRequest;
import io.ferry.coordinator.placement.Resources;
import io.ferry.coordinator.placement.Strategy;
import io.ferry.proto.v1.ContainerSpec;
import io.ferry.proto.v1.LaunchRequest;
import io.ferry.proto.v1.Limits;
import java.util.Optional;

/**
 * Checks a {@link LaunchRequest} at the boundary and turns it into a placement request and the
 * spec the agent receives. Defaults, in one place: a launch without a memory limit gets {@link
 * #DEFAULT_MEMORY}, without a cpu reservation {@link #DEFAULT_CPU_MILLIS}, without a disk
 * reservation {@link #DEFAULT_DISK}. The reservation is also the limit: memory is the hard memory
 * limit, cpu becomes a quota when the spec sets none, so a host never runs more than it promised.
 */
final class LaunchRequests {

  static final ByteSize DEFAULT_MEMORY = ByteSize.parse("256MiB");
  static final long DEFAULT_CPU_MILLIS = 500;
  static final ByteSize DEFAULT_DISK = ByteSize.parse("1GiB");
  private static final long CPU_PERIOD_MICROS = 100_000;
  private static final long MIN_MEMORY = ByteSize.parse("16MiB").bytes();

  /** A checked launch: where to place it and what to create. */
  record Checked(PlacementRequest placement, ContainerSpec spec) {}

  private LaunchRequests() {}

  static Checked check(LaunchRequest request) {
    if (!request.hasSpec()) {
      throw invalid("a launch needs a spec");
    }
    ContainerSpec spec = request.getSpec();
    Names.require("container", spec.getName());
    if (spec.getImage().isBlank()) {
      throw invalid("container " + spec.getName() + ": no image given");
    }
    Limits limits = spec.getLimits();
    long memory = limits.hasMemoryBytes() ? limits.getMemoryBytes() : DEFAULT_MEMORY.bytes();
    if (memory < MIN_MEMORY) {
      throw invalid("container " + spec.getName() + ": memory limit " + memory + " bytes is below the minimum of 16MiB");
    }
    long cpu = request.getCpuMillis() == 0 ? DEFAULT_CPU_MILLIS : request.getCpuMillis();
    if (cpu > 1_000_000) {
      throw invalid("container " + spec.getName() + ": cpu " + cpu + "m is more than any host has");
    }
    long disk = request.getDiskBytes() == 0 ? DEFAULT_DISK.bytes() : request.getDiskBytes();
    Limits.Builder effective = limits.toBuilder().setMemoryBytes(memory);
    if (!limits.hasCpuQuotaMicros()) {
      effective.setCpuQuotaMicros(cpu * CPU_PERIOD_MICROS / 1000).setCpuPeriodMicros(CPU_PERIOD_MICROS);
    }
    if (!request.getAntiAffinityGroup().isEmpty()) {
      Names.require("anti-affinity group", request.getAntiAffinityGroup());
    }
    if (!request.getTargetHost().isEmpty()) {
      Names.require("target host", request.getTargetHost());
    }
    PlacementRequest placement =
        new PlacementRequest(
            spec.getName(),
            new Resources(cpu, memory, disk),
            request.getRequiredLabelsMap(),
            request.getAntiAffinityGroup().isEmpty() ? Optional.empty() : Optional.of(request.getAntiAffinityGroup()),
            Optional.of(spec.getImage()),
            request.getTargetHost().isEmpty() ? Optional.empty() : Optional.of(request.getTargetHost()),
            switch (request.getStrategy()) {
              case PLACEMENT_STRATEGY_BINPACK -> Strategy.BINPACK;
              case PLACEMENT_STRATEGY_SPREAD, PLACEMENT_STRATEGY_UNSPECIFIED, UNRECOGNIZED -> Strategy.SPREAD;
            },
            true);
    return new Checked(placement, spec.toBuilder().setLimits(effective).build());
  }

  private static CoordinatorException invalid(String message) {
    return new CoordinatorException(Kind.INVALID_ARGUMENT, message);
  }
}
