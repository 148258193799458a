package io.ferry.agent.images;

import java.util.List;

/**
 * Which containers use an image: asked by {@link ImageStore#delete} so that an image still under a
 * container's root filesystem is never removed, and the refusal names those containers.
 *
 * <p>Called on the deleting thread while the store holds that image's lock (imports and deletes of
 * the same digest wait); the store's other locks are not held, so an implementation may call back
 * into the store. Keeping its answer true until the delete returns (no container created from the
 * image in between) is the caller's business, e.g. by holding its own lifecycle lock around the
 * delete.
 */
@FunctionalInterface
public interface ImageUsage {

  /** No container uses any image. */
  ImageUsage NONE = digest -> List.of();

  /**
   * @param digest the image's full digest
   * @return the names of the containers whose root filesystem is built on it; empty when none
   */
  List<String> containersUsing(String digest);
}
