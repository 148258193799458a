/**
 * ZooKeeper behind the cluster's own identities: every connection to ZooKeeper is mutual TLS with
 * the cluster CA ({@link io.ferry.common.security.zookeeper.ZooKeeperTls}), the server admits only
 * host identities, not revoked ({@link
 * io.ferry.common.security.zookeeper.HostAuthenticationProvider}), and Ferry's own znodes carry an
 * ACL that grants them to host identities only ({@link
 * io.ferry.common.security.zookeeper.ZooKeeperAcls}).
 *
 * <p>Used by the coordinator (client and embedded server) and the agent (client). The ZooKeeper
 * library is an optional dependency of this module: callers bring it.
 */
package io.ferry.common.security.zookeeper;
