package io.ferry.coordinator.cluster;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/** TEMPORARY placeholder; replaced by the helix branch's version on merge. */
public interface Membership extends AutoCloseable {
  List<HostMember> hosts();

  Optional<HostMember> host(String name);

  void addListener(Consumer<List<HostMember>> listener);
}
