package io.ferry.coordinator.placement;

import java.util.Locale;

/**
 * Ranks hosts that passed every {@link Filters filter}. Pure, stateless and deterministic: the
 * score depends only on the host and the request.
 *
 * <p>Both strategies start from the host's <em>free fraction after placement</em>: for each of
 * cpu, memory and disk with a non-zero capacity, {@code (free - requested) / capacity}, averaged
 * (a host without disk capacity is judged on cpu and memory). Then:
 *
 * <ul>
 *   <li>{@link Strategy#SPREAD}: {@code 0.8 * freeFraction + 0.2 / (1 + containers)}: the emptiest
 *       host wins, and among equally empty hosts the one running fewer containers;
 *   <li>{@link Strategy#BINPACK}: {@code 1 - freeFraction}: the fullest host that still fits wins.
 * </ul>
 *
 * Both add {@link #IMAGE_BONUS} when the host already holds the request's image, enough to break a
 * near tie but not to outweigh a clearly better fit. Scores lie in [0, 1.05].
 */
final class Scorer {

  static final double IMAGE_BONUS = 0.05;
  static final double SPREAD_FREE_WEIGHT = 0.8;
  static final double SPREAD_CONTAINER_WEIGHT = 0.2;

  /** A score and how it came about, for the host's verdict. */
  record Score(double value, String why) {}

  private Scorer() {}

  /**
   * The score of a host that fits, as {@link #score} gives it, without the explanation; behaviour
   * on a host that does not fit is unspecified.
   */
  static double value(HostState host, PlacementRequest request) {
    Resources after = host.free().minusSaturating(request.resources());
    Resources cap = host.capacity();
    double sum = 0;
    int dims = 0;
    if (cap.cpuMillis() > 0) {
      sum += (double) after.cpuMillis() / cap.cpuMillis();
      dims++;
    }
    if (cap.memoryBytes() > 0) {
      sum += (double) after.memoryBytes() / cap.memoryBytes();
      dims++;
    }
    if (cap.diskBytes() > 0) {
      sum += (double) after.diskBytes() / cap.diskBytes();
      dims++;
    }
    double freeFraction = dims == 0 ? 0 : sum / dims;
    double value =
        request.strategy() == Strategy.SPREAD
            ? SPREAD_FREE_WEIGHT * freeFraction + SPREAD_CONTAINER_WEIGHT / (1 + host.containerCount())
            : 1 - freeFraction;
    if (holdsImage(host, request)) {
      value += IMAGE_BONUS;
    }
    return value;
  }

  /** Scores a host that fits, with how; behaviour on a host that does not fit is unspecified. */
  static Score score(HostState host, PlacementRequest request) {
    double value = value(host, request);
    Resources after = host.free().minusSaturating(request.resources());
    Resources cap = host.capacity();
    StringBuilder parts = new StringBuilder();
    if (cap.cpuMillis() > 0) {
      parts.append(percent((double) after.cpuMillis() / cap.cpuMillis())).append(" cpu");
    }
    if (cap.memoryBytes() > 0) {
      parts.append(parts.length() > 0 ? ", " : "").append(percent((double) after.memoryBytes() / cap.memoryBytes())).append(" memory");
    }
    if (cap.diskBytes() > 0) {
      parts.append(parts.length() > 0 ? ", " : "").append(percent((double) after.diskBytes() / cap.diskBytes())).append(" disk");
    }
    String why;
    if (request.strategy() == Strategy.SPREAD) {
      why =
          "spread: " + parts + " free after placement, " + host.containerCount()
              + (host.containerCount() == 1 ? " container" : " containers");
    } else {
      why = "binpack: " + parts + " free after placement";
    }
    if (holdsImage(host, request)) {
      why += ", holds image " + request.image().get();
    }
    return new Score(value, String.format(Locale.ROOT, "fits, score %.3f (%s)", value, why));
  }

  /** True when the host holds the request's image (no lambda: this runs for every host of every launch). */
  private static boolean holdsImage(HostState host, PlacementRequest request) {
    return request.image().isPresent() && host.holdsImage(request.image().get());
  }

  private static String percent(double fraction) {
    return String.format(Locale.ROOT, "%.0f%%", fraction * 100);
  }
}
