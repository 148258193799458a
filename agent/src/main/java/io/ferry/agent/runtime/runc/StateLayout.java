package io.ferry.agent.runtime.runc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Where the runc driver keeps things under its state root, which survives agent restarts:
 *
 * <pre>
 * STATE_ROOT/runc/                 runc's own state (runc --root)
 * STATE_ROOT/bundles/ID/config.json  the OCI bundle Ferry wrote for container ID
 * STATE_ROOT/bundles/ID/criu.conf    the CRIU configuration runc hands to CRIU for it
 * STATE_ROOT/bundles/ID/init.pid     init's pid as runc wrote it
 * STATE_ROOT/bundles/ID/criu-work/   CRIU's logs of the last checkpoint or restore
 * </pre>
 */
record StateLayout(Path stateRoot) {

  Path runcRoot() {
    return stateRoot.resolve("runc");
  }

  Path bundle(String id) {
    return stateRoot.resolve("bundles").resolve(id);
  }

  Path criuConfig(String id) {
    return bundle(id).resolve("criu.conf");
  }

  Path pidFile(String id) {
    return bundle(id).resolve("init.pid");
  }

  Path criuWork(String id) {
    return bundle(id).resolve("criu-work");
  }

  /** Removes {@code dir} and everything below it; absent is fine. */
  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        try {
          Files.delete(p);
        } catch (NoSuchFileException e) {
          // removed concurrently: fine
        }
      }
    }
  }
}
