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

  /** Scores a host that fits; behaviour on a host that does not fit is unspecified. */
  static Score score(HostState host, PlacementRequest request) {
    Resources after = host.free().minusSaturating(request.resources());
    Resources cap = host.capacity();
    double sum = 0;
    int dims = 0;
    StringBuilder parts = new StringBuilder();
    if (cap.cpuMillis() > 0) {
      double f = (double) after.cpuMillis() / cap.cpuMillis();
      sum += f;
      dims++;
      parts.append(percent(f)).append(" cpu");
    }
    if (cap.memoryBytes() > 0) {
      double f = (double) after.memoryBytes() / cap.memoryBytes();
      sum += f;
      dims++;
      parts.append(parts.length() > 0 ? ", " : "").append(percent(f)).append(" memory");
    }
    if (cap.diskBytes() > 0) {
      double f = (double) after.diskBytes() / cap.diskBytes();
      sum += f;
      dims++;
      parts.append(parts.length() > 0 ? ", " : "").append(percent(f)).append(" disk");
    }
    double freeFraction = dims == 0 ? 0 : sum / dims;
    double value;
    String why;
    if (request.strategy() == Strategy.SPREAD) {
      value =
          SPREAD_FREE_WEIGHT * freeFraction
              + SPREAD_CONTAINER_WEIGHT / (1 + host.containerCount());
      why =
          "spread: " + parts + " free after placement, " + host.containerCount()
              + (host.containerCount() == 1 ? " container" : " containers");
    } else {
      value = 1 - freeFraction;
      why = "binpack: " + parts + " free after placement";
    }
    boolean holdsImage = request.image().map(host::holdsImage).orElse(false);
    if (holdsImage) {
      value += IMAGE_BONUS;
      why += ", holds image " + request.image().get();
    }
    return new Score(value, String.format(Locale.ROOT, "fits, score %.3f (%s)", value, why));
  }

  private static String percent(double fraction) {
    return String.format(Locale.ROOT, "%.0f%%", fraction * 100);
  }
}
