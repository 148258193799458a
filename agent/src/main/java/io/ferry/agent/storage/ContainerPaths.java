package io.ferry.agent.storage;

import io.ferry.common.Names;
import java.nio.file.Path;

/**
 * Where one container's files live on its host, in one place:
 *
 * <pre>
 * containers/NAME/
 *   container.json      the agent's record of the container (lifecycle)
 *   upper/  work/       the overlay's writable layer and its work dir
 *   rootfs/             the overlay mount: image (lower) + upper
 *   checkpoint/         CRIU images of a stateful stop
 *   snapshots/SNAP/     upper/ copy + snapshot.json
 *   console.log         init's stdout and stderr
 * </pre>
 *
 * The name is validated as a DNS label, so no path can climb out of {@code containers/}.
 */
public record ContainerPaths(Path containersRoot, String name) {

  public ContainerPaths {
    Names.require("container", name);
  }

  public Path dir() {
    return containersRoot.resolve(name);
  }

  public Path record() {
    return dir().resolve("container.json");
  }

  public Path upper() {
    return dir().resolve("upper");
  }

  public Path work() {
    return dir().resolve("work");
  }

  public Path rootfs() {
    return dir().resolve("rootfs");
  }

  public Path checkpoint() {
    return dir().resolve("checkpoint");
  }

  public Path console() {
    return dir().resolve("console.log");
  }

  public Path snapshots() {
    return dir().resolve("snapshots");
  }

  public Path snapshot(String snapshot) {
    return snapshots().resolve(Names.require("snapshot", snapshot));
  }
}
