package io.ferry.coordinator.hosts;

import io.ferry.proto.v1.Image;
import io.ferry.proto.v1.ListImagesRequest;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which images each host holds, as last listed by its agent: digests and aliases. Placement uses it
 * to send a container where its image is, and the API to refuse an image no host has.
 *
 * <p>Refreshed by {@link #refresh(String)} (when a host joins, after an import or delete, and on a
 * timer run by the owner). A host whose agent cannot be asked keeps its last known list. Thread-safe.
 */
public final class HostImages {

  private static final Logger log = LoggerFactory.getLogger(HostImages.class);

  private final AgentClients agents;
  private final Map<String, Set<String>> refsByHost = new ConcurrentHashMap<>();
  private final Map<String, List<Image>> imagesByHost = new ConcurrentHashMap<>();
  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();

  public HostImages(AgentClients agents) {
    this.agents = agents;
  }

  /** Called with the host's name after its list changed. */
  public void addListener(Consumer<String> listener) {
    listeners.add(listener);
  }

  /** Asks {@code host}'s agent for its images; false when it could not be asked. */
  public boolean refresh(String host) {
    List<Image> images;
    try {
      images = agents.blocking(host).listImages(ListImagesRequest.getDefaultInstance()).getImagesList();
    } catch (RuntimeException e) {
      log.debug("cannot list the images of host {}: {}", host, e.toString());
      return false;
    }
    Set<String> refs = new HashSet<>();
    for (Image image : images) {
      refs.add(image.getDigest());
      refs.addAll(image.getAliasesList());
    }
    imagesByHost.put(host, List.copyOf(images));
    Set<String> before = refsByHost.put(host, Set.copyOf(refs));
    if (!refs.equals(before)) {
      listeners.forEach(l -> l.accept(host));
    }
    return true;
  }

  /** Forgets a host that left. */
  public void forget(String host) {
    imagesByHost.remove(host);
    if (refsByHost.remove(host) != null) {
      listeners.forEach(l -> l.accept(host));
    }
  }

  /** The digests and aliases {@code host} holds (empty when unknown). */
  public Set<String> refs(String host) {
    return refsByHost.getOrDefault(host, Set.of());
  }

  /** The images {@code host} holds, as its agent described them. */
  public List<Image> images(String host) {
    return imagesByHost.getOrDefault(host, List.of());
  }

  /** The hosts whose images are known. */
  public Set<String> hosts() {
    return Set.copyOf(imagesByHost.keySet());
  }
}
