package io.ferry.it.multihost;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Prints a {@link MultiHostCluster}'s whole state ({@link MultiHostCluster#dump()}: Docker's view,
 * the ZooKeeper tree, each agent's containers, every daemon's log tail) to stderr when a test of a
 * class implementing {@link HasCluster} fails. A cluster that fails to start dumps itself into the
 * error {@link MultiHostCluster#start} throws.
 */
public final class DumpClusterOnFailure implements TestWatcher {

  /** A test class with a multi-host cluster to dump. */
  public interface HasCluster {
    /** The cluster, or null when it did not start. */
    MultiHostCluster cluster();
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    context.getTestInstance().filter(HasCluster.class::isInstance).map(HasCluster.class::cast).map(HasCluster::cluster)
        .ifPresent(cluster -> System.err.println("==== " + context.getDisplayName() + " failed: " + cause + "\n" + cluster.dump()));
  }
}
