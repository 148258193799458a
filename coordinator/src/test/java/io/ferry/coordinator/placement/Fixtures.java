package io.ferry.coordinator.placement;

import io.ferry.common.ByteSize;

/** Short builders for placement tests. */
final class Fixtures {

  static final long GIB = ByteSize.ofGiB(1).bytes();
  static final long MIB = ByteSize.ofMiB(1).bytes();

  private Fixtures() {}

  /** {@code cpus} whole cpus, {@code memGiB} memory, {@code diskGiB} disk. */
  static Resources res(double cpus, long memGiB, long diskGiB) {
    return new Resources(Math.round(cpus * 1000), memGiB * GIB, diskGiB * GIB);
  }

  static HostState host(String name, Resources capacity) {
    return HostState.empty(name, capacity);
  }

  /** An online host with {@code used} allocated out of {@code capacity}. */
  static HostState host(String name, Resources capacity, Resources used) {
    return HostState.empty(name, capacity).withAllocated(used);
  }

  static PlacementRequest request(String name, Resources resources) {
    return PlacementRequest.of(name, resources);
  }
}
