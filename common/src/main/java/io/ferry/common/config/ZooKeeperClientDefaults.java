package io.ferry.common.config;

/**
 * JVM-wide settings of the ZooKeeper client that Ferry's daemons (agent, coordinator) apply at
 * start, before any ZooKeeper client exists.
 *
 * <p>{@code zookeeper.sasl.client=false}: with SASL on (ZooKeeper's default) the client resolves
 * the server's address back to a host name (reverse DNS) before every connection, to build a
 * Kerberos principal. Where DNS is slow or unreachable, such as an agent in a network namespace,
 * each connection then waits for the resolver's timeout, and a 6 s session can never be
 * established (seen: 15 s per attempt). Ferry does not use SASL unless the operator turns it on:
 * an explicit {@code -Dzookeeper.sasl.client=true} (with a JAAS configuration) is kept.
 */
public final class ZooKeeperClientDefaults {

  public static final String SASL_CLIENT = "zookeeper.sasl.client";

  private ZooKeeperClientDefaults() {}

  /** Applies the defaults, leaving any setting the operator made on the command line. */
  public static void apply() {
    if (System.getProperty(SASL_CLIENT) == null) {
      System.setProperty(SASL_CLIENT, "false");
    }
  }
}
