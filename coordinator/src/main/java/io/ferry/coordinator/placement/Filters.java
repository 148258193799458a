package io.ferry.coordinator.placement;

import io.ferry.common.ByteSize;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The hard constraints: why a host cannot run a request, in words. Pure and stateless.
 *
 * <p>A host that is not {@link HostStatus#ONLINE} is refused for that alone (its resources do not
 * matter); so is one that is {@linkplain HostState#isUnplaceable() unplaceable} (e.g. its container
 * network is not the cluster's), with its reason. Otherwise every failing filter contributes one reason, in this order: cpu, memory,
 * disk, required labels (by key), anti-affinity. The target-host filter is applied by {@link
 * Placer} before these, by considering only the target.
 *
 * <p>Resources fit when the request's need is at most the host's {@link HostState#free() free}
 * amount (capacity minus allocations, floored at zero), per resource. So an overcommitted host
 * takes nothing more of the overcommitted resource, yet a request needing none of it (say zero
 * disk) is not refused for it.
 */
final class Filters {

  private Filters() {}

  /** The reasons {@code host} cannot run {@code request}; empty when it can. */
  static List<String> problems(HostState host, PlacementRequest request) {
    List<String> problems = new ArrayList<>();
    if (host.status() != HostStatus.ONLINE) {
      problems.add(host.status().word());
      return problems;
    }
    if (host.isUnplaceable()) {
      problems.add(host.unplaceable());
      return problems;
    }
    if (request.imageRequired() && !host.holdsImage(request.image().orElseThrow())) {
      problems.add("does not hold image " + request.image().get());
    }
    Resources need = request.resources();
    Resources free = host.free();
    if (need.cpuMillis() > free.cpuMillis()) {
      problems.add(
          "needs " + cpus(need.cpuMillis(), free.cpuMillis()) + " cpus, "
              + cpus(free.cpuMillis(), need.cpuMillis()) + " free");
    }
    if (need.memoryBytes() > free.memoryBytes()) {
      problems.add(
          "needs " + bytes(need.memoryBytes(), free.memoryBytes()) + " memory, "
              + bytes(free.memoryBytes(), need.memoryBytes()) + " free");
    }
    if (need.diskBytes() > free.diskBytes()) {
      problems.add(
          "needs " + bytes(need.diskBytes(), free.diskBytes()) + " disk, "
              + bytes(free.diskBytes(), need.diskBytes()) + " free");
    }
    for (Map.Entry<String, String> required : request.requiredLabels().entrySet()) {
      String key = required.getKey();
      String has = host.labels().get(key);
      if (!required.getValue().equals(has)) {
        problems.add(
            "missing label " + key + "=" + required.getValue()
                + (has == null ? " (has no " + key + ")" : " (has " + key + "=" + has + ")"));
      }
    }
    request
        .antiAffinityGroup()
        .ifPresent(
            group -> {
              int count = host.groupCount(group);
              if (count > 0) {
                problems.add(
                    "already runs " + count + (count == 1 ? " container" : " containers")
                        + " of anti-affinity group " + group);
              }
            });
    return problems;
  }

  /**
   * True when {@code host} can run {@code request}: exactly when {@link #problems} is empty, but
   * without putting any reason into words (placement checks every host on every launch).
   */
  static boolean fits(HostState host, PlacementRequest request) {
    if (host.status() != HostStatus.ONLINE || host.isUnplaceable()) {
      return false;
    }
    if (request.imageRequired() && !host.holdsImage(request.image().orElseThrow())) {
      return false;
    }
    Resources need = request.resources();
    Resources free = host.free();
    if (need.cpuMillis() > free.cpuMillis()
        || need.memoryBytes() > free.memoryBytes()
        || need.diskBytes() > free.diskBytes()) {
      return false;
    }
    for (Map.Entry<String, String> required : request.requiredLabels().entrySet()) {
      if (!required.getValue().equals(host.labels().get(required.getKey()))) {
        return false;
      }
    }
    return request.antiAffinityGroup().isEmpty() || host.groupCount(request.antiAffinityGroup().get()) == 0;
  }

  /**
   * {@code millis} as cpus with one decimal, or with three when one decimal would make it look
   * equal to {@code other} (needing 1.001 cpus with 1.0 free must not read "1.0, 1.0").
   */
  private static String cpus(long millis, long other) {
    String coarse = Resources.cpus(millis);
    if (millis != other && coarse.equals(Resources.cpus(other))) {
      return String.format(Locale.ROOT, "%.3f", millis / 1000.0);
    }
    return coarse;
  }

  /** Like {@link #cpus}: human-readable, exact bytes when rounding would hide the difference. */
  private static String bytes(long bytes, long other) {
    String coarse = ByteSize.ofBytes(bytes).humanReadable();
    if (bytes != other && coarse.equals(ByteSize.ofBytes(other).humanReadable())) {
      return bytes + " B";
    }
    return coarse;
  }
}
