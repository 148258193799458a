package io.ferry.coordinator.placement;

import io.ferry.common.Names;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What to place: one container's reservation and constraints.
 *
 * <p>Validated on construction; a bad request throws {@link IllegalArgumentException} with a
 * message for the admin (the API layer maps it to INVALID_ARGUMENT).
 *
 * @param containerName the container's name (a DNS label, see {@link Names})
 * @param resources the reservation; cpu and memory must be positive, disk may be zero
 * @param requiredLabels labels a host must carry with exactly these values (see {@link Labels})
 * @param antiAffinityGroup when present, at most one container of this group per host
 * @param image the image reference; a preference only, a host already holding it scores better
 * @param targetHost when present ({@code --target HOST}) only that host is considered, and it must
 *     still pass every filter
 * @param strategy how fitting hosts are ranked
 * @param imageRequired only hosts that already hold {@code image} fit (while agents cannot fetch
 *     images from each other, a host without the image cannot create the container)
 */
public record PlacementRequest(
    String containerName,
    Resources resources,
    Map<String, String> requiredLabels,
    Optional<String> antiAffinityGroup,
    Optional<String> image,
    Optional<String> targetHost,
    Strategy strategy,
    boolean imageRequired) {

  public PlacementRequest {
    Names.require("container", containerName);
    Objects.requireNonNull(resources, "resources");
    if (resources.cpuMillis() <= 0) {
      throw new IllegalArgumentException(
          "container " + containerName + ": cpu must be positive, got " + resources.cpuMillis() + "m");
    }
    if (resources.memoryBytes() <= 0) {
      throw new IllegalArgumentException(
          "container "
              + containerName
              + ": memory must be positive, got "
              + resources.memoryBytes()
              + " bytes");
    }
    requiredLabels = Labels.copyOf(requiredLabels);
    Objects.requireNonNull(antiAffinityGroup, "antiAffinityGroup");
    antiAffinityGroup.ifPresent(g -> Names.require("anti-affinity group", g));
    Objects.requireNonNull(image, "image");
    image.ifPresent(
        i -> {
          if (i.isBlank()) {
            throw new IllegalArgumentException(
                "container " + containerName + ": image reference is blank");
          }
        });
    Objects.requireNonNull(targetHost, "targetHost");
    targetHost.ifPresent(h -> Names.require("target host", h));
    Objects.requireNonNull(strategy, "strategy");
    if (imageRequired && image.isEmpty()) {
      throw new IllegalArgumentException("container " + containerName + ": an image is required but none is named");
    }
  }

  /** A request with no constraints, no image preference and the default strategy. */
  public static PlacementRequest of(String containerName, Resources resources) {
    return new PlacementRequest(
        containerName,
        resources,
        Map.of(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Strategy.DEFAULT,
        false);
  }

  public PlacementRequest withRequiredLabels(Map<String, String> labels) {
    return new PlacementRequest(
        containerName, resources, labels, antiAffinityGroup, image, targetHost, strategy, imageRequired);
  }

  public PlacementRequest withAntiAffinityGroup(String group) {
    return new PlacementRequest(
        containerName, resources, requiredLabels, Optional.of(group), image, targetHost, strategy, imageRequired);
  }

  public PlacementRequest withImage(String imageRef) {
    return new PlacementRequest(
        containerName,
        resources,
        requiredLabels,
        antiAffinityGroup,
        Optional.of(imageRef),
        targetHost,
        strategy,
        imageRequired);
  }

  public PlacementRequest withTargetHost(String host) {
    return new PlacementRequest(
        containerName,
        resources,
        requiredLabels,
        antiAffinityGroup,
        image,
        Optional.of(host),
        strategy,
        imageRequired);
  }

  public PlacementRequest withStrategy(Strategy newStrategy) {
    return new PlacementRequest(
        containerName, resources, requiredLabels, antiAffinityGroup, image, targetHost, newStrategy, imageRequired);
  }

  public PlacementRequest withContainerName(String name) {
    return new PlacementRequest(
        name, resources, requiredLabels, antiAffinityGroup, image, targetHost, strategy, imageRequired);
  }

  /** This request, fitting only hosts that already hold {@code imageRef}. */
  public PlacementRequest withImageRequired(String imageRef) {
    return new PlacementRequest(
        containerName, resources, requiredLabels, antiAffinityGroup, Optional.of(imageRef), targetHost, strategy, true);
  }
}
