package io.ferry.it.cluster;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/** Prints the cluster's whole state (ZooKeeper tree, agents' containers, logs) when a test fails. */
final class DumpOnFailure implements TestWatcher {

  /** A test class with a cluster to dump. */
  interface HasCluster {
    LocalCluster cluster();
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    context.getTestInstance().filter(HasCluster.class::isInstance).map(HasCluster.class::cast).map(HasCluster::cluster).ifPresent(cluster ->
        System.err.println(cluster.dump()));
  }
}
